import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ApiMiddlewareOptions } from './middleware.ts';

/**
 * The X-Ray tracer, for Lambda entries only. Loading it loads the X-Ray SDK, whose context tracking (cls-hooked)
 * puts an async hook on every promise of the process: measured on the local server's /health handler, 190k calls/s
 * without it and 46k with it, tracing off. The local server and CLI never import this module.
 */
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'recsys' });

/**
 * The storefront's origin (its CloudFront distribution, RECSYS_WEB_ORIGIN) on every answer, errors included, so
 * that browsers let that origin, and no other, read the API's responses.
 */
function webOrigin(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const origin = process.env.RECSYS_WEB_ORIGIN;
  const allow = (request: { response?: APIGatewayProxyResult | null }) => {
    if (origin === undefined || origin === '' || !request.response) return;
    request.response.headers = {
      ...request.response.headers,
      'access-control-allow-origin': origin,
      vary: 'origin',
    };
  };
  return { after: allow, onError: allow };
}

/** The tracer's segment around a Lambda invocation (/health: no metrics of its own to emit). */
export const LAMBDA_TRACING: ApiMiddlewareOptions = { outer: [captureLambdaHandler(tracer), webOrigin()] };

/** What every other API Lambda entry passes to its handler factory: the tracer's segment and EMF metrics. */
export const LAMBDA_API_OPTIONS: ApiMiddlewareOptions = { ...LAMBDA_TRACING, metrics: true };
