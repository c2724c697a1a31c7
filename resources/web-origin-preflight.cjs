'use strict';
/**
 * The API's CORS preflights (the OPTIONS methods `cors: true` compiles as MOCK integrations) answer the stage's
 * storefront origin only, like every other answer (RECSYS_WEB_ORIGIN, shared/runtime/lambda-tracing.ts) and the
 * gateway responses (resources/api.yml). The framework's `cors.origin` takes a literal string, and the CloudFront
 * domain exists only once the stack does, so the literal `'*'` it writes is replaced here, after the events are
 * compiled, by a reference to the distribution: browsers let that origin, and no other, call the API.
 */
const ORIGIN = 'method.response.header.Access-Control-Allow-Origin';
const VARY = 'method.response.header.Vary';
const MAX_AGE = 'method.response.header.Access-Control-Max-Age';

/** How long a browser may reuse a preflight: Chromium caps it at 2 hours, Firefox at 24. */
const PREFLIGHT_MAX_AGE_SECONDS = 7200;

class WebOriginPreflight {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.pinOrigins() };
  }

  pinOrigins() {
    const resources = this.serverless.service.provider.compiledCloudFormationTemplate.Resources;
    for (const resource of Object.values(resources)) {
      if (resource.Type !== 'AWS::ApiGateway::Method' || resource.Properties.HttpMethod !== 'OPTIONS')
        continue;
      for (const response of resource.Properties.MethodResponses ?? []) {
        response.ResponseParameters = { ...response.ResponseParameters, [VARY]: true, [MAX_AGE]: true };
      }
      for (const response of resource.Properties.Integration?.IntegrationResponses ?? []) {
        response.ResponseParameters = {
          ...response.ResponseParameters,
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub, not a JS template
          [ORIGIN]: { 'Fn::Sub': "'https://${WebDistribution.DomainName}'" },
          [VARY]: "'Origin'",
          [MAX_AGE]: `'${PREFLIGHT_MAX_AGE_SECONDS}'`,
        };
      }
    }
  }
}

module.exports = WebOriginPreflight;
