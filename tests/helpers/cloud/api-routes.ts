import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { CfnTemplate } from '../cloudformation.ts';
import type { PackagedLambdas } from './lambdas.ts';
import type { TemplateResolver } from './template.ts';

interface Route {
  method: string;
  path: string;
  pattern: RegExp;
  params: string[];
  apiKeyRequired: boolean;
  /** AWS_PROXY: the function the integration invokes. */
  functionArn?: string;
  /** MOCK (the CORS preflights): the headers its integration response maps, resolved. */
  mockHeaders?: Record<string, string>;
}

export interface ApiAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * API Gateway's REST API of the stand-in stack: the routes are the template's AWS::ApiGateway::Method resources
 * (paths built from their Resource tree), each proxying to the packaged function its integration URI names. The
 * API key check is API Gateway's (403 without `x-api-key` on a key-required method), not the handler's. MOCK
 * methods (the CORS preflights) answer 200 with the headers their integration response maps.
 */
export function apiRoutes(options: {
  template: CfnTemplate;
  resolver: TemplateResolver;
  lambdas: PackagedLambdas;
}) {
  const resources = options.template.Resources;
  const pathOf = (logicalId: string): string => {
    const r = resources[logicalId]?.Properties as { ParentId: unknown; PathPart: string } | undefined;
    if (r === undefined) throw new Error(`no API resource ${logicalId}`);
    const parent = r.ParentId as { Ref?: string };
    return `${parent.Ref ? pathOf(parent.Ref) : ''}/${r.PathPart}`;
  };
  const routes: Route[] = [];
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::ApiGateway::Method') continue;
    const p = r.Properties as {
      HttpMethod: string;
      ResourceId: { Ref: string };
      ApiKeyRequired?: boolean;
      Integration: {
        Type: string;
        Uri?: unknown;
        IntegrationResponses?: { ResponseParameters?: Record<string, unknown> }[];
      };
    };
    const path = pathOf(p.ResourceId.Ref);
    let arn: string | undefined;
    let mockHeaders: Record<string, string> | undefined;
    if (p.Integration.Type === 'AWS_PROXY') {
      const uri = String(options.resolver.resolve(p.Integration.Uri));
      arn = /functions\/(arn:aws:lambda:[^/]+)\/invocations/.exec(uri)?.[1];
      if (arn === undefined)
        throw new Error(`cannot read the function of ${p.HttpMethod} ${path} from ${uri}`);
    } else if (p.Integration.Type === 'MOCK') {
      const mapped = options.resolver.resolve(
        p.Integration.IntegrationResponses?.[0]?.ResponseParameters ?? {},
      );
      // A mapped header's value is a quoted literal: 'value'.
      mockHeaders = Object.fromEntries(
        Object.entries(mapped as Record<string, string>).map(([k, v]) => [
          k.replace('method.response.header.', '').toLowerCase(),
          v.replace(/^'|'$/g, ''),
        ]),
      );
    } else continue;
    const params: string[] = [];
    const pattern = new RegExp(
      `^${path.replace(/\{(\w+)\}/g, (_, name: string) => {
        params.push(name);
        return '([^/]+)';
      })}$`,
    );
    routes.push({
      method: p.HttpMethod,
      path,
      pattern,
      params,
      apiKeyRequired: p.ApiKeyRequired === true,
      ...(arn !== undefined ? { functionArn: arn } : {}),
      ...(mockHeaders !== undefined ? { mockHeaders } : {}),
    });
  }

  async function request(
    method: string,
    target: string,
    init: { body?: unknown; apiKey?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiAnswer> {
    const url = new URL(target, 'https://api.standin');
    const route = routes.find((r) => r.method === method && r.pattern.test(url.pathname));
    if (route === undefined) return { statusCode: 404, headers: {}, body: { message: 'Not Found' } };
    if (route.apiKeyRequired && init.apiKey === undefined)
      return { statusCode: 403, headers: {}, body: { message: 'Forbidden' } };
    if (route.mockHeaders !== undefined) return { statusCode: 200, headers: route.mockHeaders, body: '' };
    const match = route.pattern.exec(url.pathname) as RegExpExecArray;
    const pathParameters = Object.fromEntries(
      route.params.map((n, i) => [n, decodeURIComponent(match[i + 1] as string)]),
    );
    const query = Object.fromEntries(url.searchParams);
    const headers = {
      'content-type': 'application/json',
      ...(init.apiKey !== undefined ? { 'x-api-key': init.apiKey } : {}),
      ...init.headers,
    };
    const event = {
      httpMethod: method,
      resource: route.path,
      path: url.pathname,
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      body: init.body === undefined ? null : JSON.stringify(init.body),
      isBase64Encoded: false,
      pathParameters: route.params.length > 0 ? pathParameters : null,
      queryStringParameters: Object.keys(query).length > 0 ? query : null,
      multiValueQueryStringParameters: null,
      stageVariables: null,
      requestContext: {
        requestId: `api-${Date.now()}`,
        stage: 'ci',
        httpMethod: method,
        resourcePath: route.path,
      },
    } as unknown as APIGatewayProxyEvent;
    const answer = (await options.lambdas.invoke(
      route.functionArn as string,
      event,
    )) as APIGatewayProxyResult;
    const text = answer.body ?? '';
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (openapi.yaml): the text itself.
    }
    return { statusCode: answer.statusCode, headers: (answer.headers ?? {}) as Record<string, string>, body };
  }

  return {
    routes: () => routes.map(({ method, path, apiKeyRequired }) => ({ method, path, apiKeyRequired })),
    request,
  };
}
