import { tracer } from '../../runtime/tracer';

/*
 * S3 and KMS, for the evidence bucket and its signing key: created on first use and traced as the other clients. Required
 * there, not imported at load: only a deployment's closing functions and the manifest job write evidence, and local
 * mode runs the bundles where a dynamic import of the SDK fails.
 */
type S3Sdk = typeof import('@aws-sdk/client-s3');
type KmsSdk = typeof import('@aws-sdk/client-kms');

let s3Client: { sdk: S3Sdk; client: import('@aws-sdk/client-s3').S3Client } | undefined;
let kmsClient: { sdk: KmsSdk; client: import('@aws-sdk/client-kms').KMSClient } | undefined;

export function s3() {
  if (!s3Client) {
    const sdk: S3Sdk = require('@aws-sdk/client-s3');
    s3Client = { sdk, client: tracer.captureAWSv3Client(new sdk.S3Client({})) };
  }
  return s3Client;
}

export function kms() {
  if (!kmsClient) {
    const sdk: KmsSdk = require('@aws-sdk/client-kms');
    kmsClient = { sdk, client: tracer.captureAWSv3Client(new sdk.KMSClient({})) };
  }
  return kmsClient;
}
