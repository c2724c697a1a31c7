// The layer rules of ARCHITECTURE.md ("Layers"), checked by `npm run check:deps`.
// Arrows point down only: domain → model → evaluation → training → registry / serving → runtime →
// functions / local. Ingest (validate → lake ∥ recent activity) sits below serving, whose feedback lands in
// the lake through it. Ports know domain and model types only; adapters implement ports.
const layerAbove = (layer, above) => ({
  name: `${layer}-points-down`,
  comment: `shared/${layer} is below ${above.join(', ')}: it may not import them`,
  severity: 'error',
  from: { path: `^shared/${layer}/` },
  to: { path: `^shared/(${above.join('|')})/` },
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a cycle means two modules are one: move the shared part down a layer',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'pure-core',
      comment:
        'domain, model, evaluation, training and serving run unchanged on AWS and locally: I/O goes through a port',
      severity: 'error',
      from: { path: '^shared/(domain|model|evaluation|training|serving|live)/' },
      to: { path: ['^(node:)?fs(/promises)?$', '@aws-sdk/'] },
    },
    {
      name: 'shared-not-to-apps',
      comment:
        'shared/ is the core both halves use; it never reaches into a Lambda folder or the local runtime',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(functions|local)/' },
    },
    {
      name: 'functions-not-to-local',
      comment: 'the Lambdas are deployed without local/',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^local/' },
    },
    {
      name: 'no-sideways-handlers',
      comment:
        'a handler folder holds parse → call → map only: shared policy lives in shared/, not in a sibling',
      severity: 'error',
      from: { path: '^functions/(api|pipeline)/([^/]+)/' },
      to: { path: '^functions/(api|pipeline)/([^/]+)/', pathNot: '^functions/$1/$2/' },
    },
    {
      name: 'local-uses-handler-factories-only',
      comment: 'local/ mounts the handler factories (and their deps types); policy it needs lives in shared/',
      severity: 'error',
      from: { path: '^local/' },
      to: { path: '^functions/', pathNot: ['^functions/(api|pipeline)/([^/]+)/\\2\\.ts$'] },
    },
    {
      name: 'ports-know-domain-and-model',
      comment: 'a port is a contract in the core’s own types; it never depends on a use case or an adapter',
      severity: 'error',
      from: { path: '^shared/ports/' },
      to: { path: '^shared/', pathNot: '^shared/(domain|model|ports)/' },
    },
    {
      name: 'adapters-below-use-cases',
      comment: 'adapters implement ports; the use cases and the runtime that composes them sit above',
      severity: 'error',
      from: { path: '^shared/adapters/' },
      to: { path: '^shared/(training|serving|ingest|runtime|live)/' },
    },
    layerAbove('domain', [
      'model',
      'evaluation',
      'training',
      'registry',
      'serving',
      'ingest',
      'ports',
      'adapters',
      'runtime',
    ]),
    layerAbove('model', [
      'evaluation',
      'training',
      'registry',
      'serving',
      'ingest',
      'ports',
      'adapters',
      'runtime',
    ]),
    layerAbove('evaluation', ['training', 'registry', 'serving', 'ingest', 'adapters', 'runtime']),
    layerAbove('training', ['registry', 'serving', 'ingest', 'adapters', 'runtime']),
    layerAbove('registry', ['serving', 'ingest', 'adapters', 'runtime']),
    layerAbove('serving', ['registry', 'adapters', 'runtime']),
    layerAbove('ingest', ['registry', 'serving', 'adapters', 'runtime']),
    // Live counters and impressions (shared/live): below ingest and serving, which both use them.
    layerAbove('live', ['registry', 'serving', 'ingest', 'training', 'adapters', 'runtime']),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too: a type cycle is still a cycle.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
