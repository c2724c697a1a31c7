/**
 * Client settings for talking to a local emulator (moto_server, dynalite): never the real AWS, never the
 * developer's own credentials or profile.
 */
export interface AwsClientTestConfig {
  region: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: boolean;
}

export function awsClientConfig(endpoint: string): AwsClientTestConfig {
  return {
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    // Virtual-host style would put the bucket into the host name, which loopback cannot resolve.
    // Clients other than S3 ignore the field.
    forcePathStyle: true,
  };
}
