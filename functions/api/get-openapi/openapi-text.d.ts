// openapi.yaml is bundled as a string by esbuild's text loader (serverless.yml custom.esbuild.loader).
declare module '*.yaml' {
  const text: string;
  export default text;
}
