import type { Policy, TokenData } from '@kumo/service-kit';

/** Who is calling, as the image service needs it. */
export interface Caller {
  token: TokenData;
  /** The project of the token (undefined for domain/system scoped tokens). */
  project: string | undefined;
  isAdmin: boolean;
}

export function callerFrom(policy: Policy, token: TokenData): Caller {
  return { token, project: token.project?.id, isAdmin: policy.enforce('context_is_admin', token) };
}
