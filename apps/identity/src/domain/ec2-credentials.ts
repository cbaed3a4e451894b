import { createHash } from 'node:crypto';
import { forbidden, type TokenData } from '@kumo/service-kit';

/** Keystone names an EC2 credential by the SHA-256 of its access key. */
export const ec2Id = (access: string): string => createHash('sha256').update(access, 'utf8').digest('hex');

/** An EC2 credential made with an application-credential token is bound to it (as Keystone),
 * so EC2 authentication later yields the same restricted scope. */
export function scopedBlob(caller: TokenData, blob: Record<string, unknown>): string | undefined {
  if (!caller.applicationCredential) return undefined;
  if (blob.app_cred_id !== undefined && blob.app_cred_id !== caller.applicationCredential.id)
    throw forbidden('An ec2 credential cannot name another application credential.');
  return JSON.stringify({ ...blob, app_cred_id: caller.applicationCredential.id });
}
