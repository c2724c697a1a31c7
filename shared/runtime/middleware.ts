import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { HttpError, jsonResponse } from './http.ts';
import { publishMetrics, recordLatency } from './metrics.ts';
import { logger } from './observability.ts';

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface ApiMiddlewareOptions {
  /** Emit CloudWatch EMF metrics (on Lambda; the local server leaves them off). */
  metrics?: boolean;
  /**
   * Middlewares that run outermost, before the logger's: the Lambda entries pass the X-Ray tracer here
   * (lambda-tracing.ts), so that only a Lambda loads it.
   */
  outer?: MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult>[];
}

/**
 * Turns thrown errors into responses. Only 4xx details reach the caller; anything else is logged with its cause
 * and answered with a generic 500 carrying the request id to quote in a support request.
 */
function jsonErrors(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: (request) => {
      if (request.response !== undefined) return;
      const error = request.error;
      if (error instanceof HttpError && error.statusCode < 500) {
        request.response = jsonResponse(
          error.statusCode,
          {
            error: {
              code: error.code,
              message: error.message,
              ...(error.details && { details: error.details }),
            },
          },
          error.headers,
        );
        return;
      }
      if (error instanceof HttpError) {
        logger.error(error.message, { error });
        request.response = jsonResponse(
          error.statusCode,
          { error: { code: error.code, message: error.message, requestId: request.context.awsRequestId } },
          error.headers,
        );
        return;
      }
      logger.error('unhandled error', { error });
      request.response = jsonResponse(500, {
        error: { code: 'internal', message: 'internal error', requestId: request.context.awsRequestId },
      });
    },
  };
}

/** The handler's time per route, answered or failed (the `Latency` metric; API Gateway's own includes the network). */
function latencyMetric(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const started = new WeakMap<object, number>();
  const record = (request: { event: APIGatewayProxyEvent }) => {
    const start = started.get(request);
    if (start !== undefined) recordLatency(request.event.resource ?? 'unknown', performance.now() - start);
  };
  return {
    before: (request) => {
      started.set(request, performance.now());
    },
    after: record,
    onError: record,
  };
}

export function apiHandler(handler: ApiHandler, options: ApiMiddlewareOptions = {}) {
  const chain = middy(handler);
  for (const m of options.outer ?? []) chain.use(m);
  if (options.metrics === true) chain.use(publishMetrics({ coldStart: true }));
  chain.use(injectLambdaContext(logger));
  if (options.metrics === true) chain.use(latencyMetric());
  chain.use(jsonErrors());
  return chain;
}
