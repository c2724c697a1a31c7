import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type CfnResource, type CfnTemplate, loadYaml, resource } from '../helpers/cloudformation.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const template = loadYaml<CfnTemplate>(join(ROOT, 'resources', 'pipeline.yml'));

/** The buildspecs the pipeline stack's CodeBuild projects run, held to the stack and to README, CI/CD. */
interface Buildspec {
  version: number;
  env?: { variables?: Record<string, string>; 'exported-variables'?: string[] };
  phases: Record<string, { commands?: string[] }>;
  artifacts?: { 'base-directory'?: string };
}

const PHASES = ['install', 'pre_build', 'build', 'post_build'];
const commandsOf = (spec: Buildspec) => PHASES.flatMap((p) => spec.phases[p]?.commands ?? []);

/** Each project's buildspec with the environment variables its project and its pipeline action give it. */
function projects(): { id: string; file: string; spec: Buildspec; given: Set<string> }[] {
  const actions = (
    resource(template, 'Pipeline').Properties!.Stages as {
      Actions: { Configuration?: Record<string, unknown> }[];
    }[]
  ).flatMap((s) => s.Actions);
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::CodeBuild::Project')
    .map(([id, r]: [string, CfnResource]) => {
      const file = (r.Properties!.Source as { BuildSpec: string }).BuildSpec;
      const env =
        (r.Properties!.Environment as { EnvironmentVariables?: { Name: string }[] }).EnvironmentVariables ??
        [];
      const action = actions.find((a) => (a.Configuration?.ProjectName as { Ref?: string })?.Ref === id);
      const fromAction = JSON.parse(String(action?.Configuration?.EnvironmentVariables ?? '[]')) as {
        name: string;
      }[];
      const spec = parse(readFileSync(join(ROOT, file), 'utf8')) as Buildspec;
      return {
        id,
        file,
        spec,
        given: new Set([...env.map((e) => e.Name), ...fromAction.map((e) => e.name)]),
      };
    });
}

describe('Pipeline buildspecs', () => {
  it('exist for every project, and every variable a command reads is defined', () => {
    const found = projects();
    expect(found.map((p) => p.file).sort()).toEqual([
      'buildspec-deploy.yml',
      'buildspec-deploy.yml',
      'buildspec-smoke.yml',
      'buildspec-smoke.yml',
      'buildspec.yml',
    ]);
    // CodeBuild's own variables, and the secondary input's directory named after the Build stage's output.
    const codebuild = new Set([
      'AWS_REGION',
      'CODEBUILD_RESOLVED_SOURCE_VERSION',
      'CODEBUILD_SRC_DIR_BuildOutput',
    ]);
    for (const { id, file, spec, given } of found) {
      expect(spec.version, file).toBe(0.2);
      const exported = new Set<string>();
      for (const command of commandsOf(spec)) {
        const read = [...command.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
        const undefinedVars = read.filter((v) => !given.has(v) && !codebuild.has(v) && !exported.has(v));
        expect(undefinedVars, `${id} (${file}): ${command}`).toEqual([]);
        for (const m of command.matchAll(/^export ([A-Z_]+)=/g)) exported.add(m[1]!);
      }
    }
  });

  it('export the version the smoke tests expect, and package into the folders the deploys read', () => {
    const build = parse(readFileSync(join(ROOT, 'buildspec.yml'), 'utf8')) as Buildspec;
    expect(build.env?.['exported-variables']).toEqual(['RECSYS_VERSION']);
    expect(build.artifacts?.['base-directory']).toBe('dist');
    for (const stage of ['dev', 'prod'])
      expect(
        commandsOf(build).some(
          (c) => c.includes(`--stage ${stage} `) && c.endsWith(`--package dist/${stage}`),
        ),
      ).toBe(true);
    const outputs = (
      resource(template, 'Pipeline').Properties!.Stages as {
        Name: string;
        Actions: { OutputArtifacts?: { Name: string }[] }[];
      }[]
    ).find((s) => s.Name === 'Build')!.Actions[0]!.OutputArtifacts;
    expect(outputs).toEqual([{ Name: 'BuildOutput' }]);
    expect(existsSync(join(ROOT, 'scripts', 'smoke-test.ts'))).toBe(true);
  });

  it('run exactly the commands README, CI/CD documents', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## CI/CD\n'));
    const block = [...section.matchAll(/```sh\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      .find((b) => b.startsWith('# buildspec'));
    expect(block, 'README, CI/CD: a sh block of the buildspecs’ commands').toBeDefined();
    const documented: Record<string, string[]> = {};
    let current = '';
    for (const line of block!.trimEnd().split('\n')) {
      const header = /^# (buildspec[\w-]*\.yml)$/.exec(line);
      if (header) {
        current = header[1]!;
        documented[current] = [];
      } else documented[current]!.push(line);
    }
    const files = ['buildspec.yml', 'buildspec-deploy.yml', 'buildspec-smoke.yml'];
    const actual = Object.fromEntries(
      files.map((f) => [f, commandsOf(parse(readFileSync(join(ROOT, f), 'utf8')) as Buildspec)]),
    );
    expect(documented).toEqual(actual);
  });
});
