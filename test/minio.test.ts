import { GetObjectCommand, PutObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { freshBucket, stackS3 } from './support/stack';

describe('MinIO from the local stack', () => {
  const s3 = stackS3();
  afterAll(() => s3.destroy());

  it('round-trips an object, serves a byte range and refuses a conditional PUT on an existing key', async () => {
    const bucket = await freshBucket(s3, 'minio');
    const body = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'a/object.bin', Body: body }));

    const whole = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/object.bin' }));
    expect(Buffer.from(await whole.Body!.transformToByteArray()).equals(body)).toBe(true);

    const ranged = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/object.bin', Range: 'bytes=100-199' }));
    expect(ranged.ContentRange).toBe('bytes 100-199/4096');
    expect(Buffer.from(await ranged.Body!.transformToByteArray()).equals(body.subarray(100, 200))).toBe(true);

    // A commit marker written with If-None-Match: * must not overwrite an existing one.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'a/_manifest.json', Body: '{"v":1}', IfNoneMatch: '*' }));
    const refused = await s3
      .send(new PutObjectCommand({ Bucket: bucket, Key: 'a/_manifest.json', Body: '{"v":2}', IfNoneMatch: '*' }))
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(refused).toBeInstanceOf(S3ServiceException);
    expect((refused as S3ServiceException).$metadata.httpStatusCode).toBe(412);
    const kept = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/_manifest.json' }));
    expect(await kept.Body!.transformToString()).toBe('{"v":1}');
  });
});
