import { envBool, envInt } from '@kumo/service-kit';
import { z } from 'zod';

/** Identity settings, parsed once from the environment by the CLI. */
export const identityConfigSchema = z.object({
  KUMO_TOKEN_KEY_DIR: z.string().min(1).optional(),
  KUMO_TOKEN_TTL_SECONDS: envInt(3600, 60, 7 * 24 * 3600),
  KUMO_TOKEN_MAX_ACTIVE_KEYS: envInt(3, 2, 100),
  /** scrypt cost: N = 2^log2N, r, p. 2^15 costs ~60-100 ms on this 2-core machine. */
  KUMO_PASSWORD_SCRYPT_LOG2N: envInt(15, 10, 20),
  KUMO_PASSWORD_SCRYPT_R: envInt(8, 1, 32),
  KUMO_PASSWORD_SCRYPT_P: envInt(1, 1, 16),
  /** Lock an account after this many failed password attempts in a row; 0 = never. */
  KUMO_LOCKOUT_FAILURES: envInt(0, 0, 1000),
  KUMO_LOCKOUT_SECONDS: envInt(1800, 1, 7 * 24 * 3600),
  KUMO_PASSWORD_EXPIRES_DAYS: envInt(0, 0, 3650),
  /** Keystone's security_compliance password rules (see domain/password-rules.ts). */
  KUMO_PASSWORD_REGEX: z.string().max(4096).refine(compiles, 'not a valid regular expression').optional(),
  KUMO_PASSWORD_REGEX_DESCRIPTION: z.string().max(4096).optional(),
  /** A self-service change must differ from the last N passwords (the current one included); 0 = off. */
  KUMO_PASSWORD_UNIQUE_LAST_COUNT: envInt(0, 0, 1000),
  /** Days a self-service password must be kept before the user may change it again. */
  KUMO_PASSWORD_MIN_AGE_DAYS: envInt(0, 0, 3650),
  /** A password an admin sets (create or reset) must be changed by the user before it can be used. */
  KUMO_PASSWORD_CHANGE_ON_FIRST_USE: envBool(false),
  KUMO_POLICY_FILE: z.string().optional(),
  KUMO_APP_CRED_ALLOW_UNRESTRICTED: envBool(true),
});

function compiles(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** Keystone's [security_compliance] password rules. */
export interface PasswordPolicySettings {
  /** Passwords must match this (from their start, as Python's re.match); null = any. */
  regex: string | null;
  regexDescription: string | null;
  uniqueLastCount: number;
  minAgeDays: number;
  changeOnFirstUse: boolean;
}

export interface IdentitySettings {
  tokenKeyDir: string;
  tokenTtlSeconds: number;
  maxActiveKeys: number;
  scrypt: { log2N: number; r: number; p: number };
  lockout: { failures: number; seconds: number };
  passwordExpiresDays: number;
  passwordPolicy: PasswordPolicySettings;
  policyFile?: string;
  region: string;
}

export function identitySettings(
  env: z.infer<typeof identityConfigSchema>,
  home: string,
  region: string,
): IdentitySettings {
  return {
    tokenKeyDir: env.KUMO_TOKEN_KEY_DIR ?? `${home}/keys/token`,
    tokenTtlSeconds: env.KUMO_TOKEN_TTL_SECONDS,
    maxActiveKeys: env.KUMO_TOKEN_MAX_ACTIVE_KEYS,
    scrypt: {
      log2N: env.KUMO_PASSWORD_SCRYPT_LOG2N,
      r: env.KUMO_PASSWORD_SCRYPT_R,
      p: env.KUMO_PASSWORD_SCRYPT_P,
    },
    lockout: { failures: env.KUMO_LOCKOUT_FAILURES, seconds: env.KUMO_LOCKOUT_SECONDS },
    passwordExpiresDays: env.KUMO_PASSWORD_EXPIRES_DAYS,
    passwordPolicy: {
      regex: env.KUMO_PASSWORD_REGEX || null,
      regexDescription: env.KUMO_PASSWORD_REGEX_DESCRIPTION || null,
      uniqueLastCount: env.KUMO_PASSWORD_UNIQUE_LAST_COUNT,
      minAgeDays: env.KUMO_PASSWORD_MIN_AGE_DAYS,
      changeOnFirstUse: env.KUMO_PASSWORD_CHANGE_ON_FIRST_USE,
    },
    policyFile: env.KUMO_POLICY_FILE,
    region,
  };
}
