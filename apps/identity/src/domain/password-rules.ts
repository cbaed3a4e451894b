import { invalid } from '@kumo/service-kit';
import type { PasswordPolicySettings } from '../config.js';
import { verifyPassword } from './passwords.js';

/**
 * Keystone's [security_compliance] password rules. All are 400s (Keystone's
 * PasswordValidationError family); they apply where Keystone applies them:
 * the pattern to every password set, the rest to self-service changes only.
 */
const refused = (message: string) => invalid(message, 'PasswordValidationError');

/** The password must match the operator's pattern, from its start (Python's re.match). */
export function checkPasswordPattern(policy: PasswordPolicySettings, password: string): void {
  if (!policy.regex) return;
  const pattern = new RegExp(policy.regex, 'y');
  if (!pattern.test(password))
    throw refused(
      `The password does not match the requirements: ${policy.regexDescription ?? 'see password_regex'}.`,
    );
}

/** A user may not change a password that does not allow it (an admin still may). */
export function checkSelfServiceAllowed(options: Record<string, unknown>): void {
  if (options.lock_password === true)
    throw refused(
      'You cannot change your password at this time due to password policy disallowing password changes. ' +
        'Please contact your administrator to reset your password.',
    );
}

/**
 * A password must be kept minAgeDays before its owner changes it again. A password that has
 * expired (or must be changed upon first use) can always be changed.
 */
export function checkMinimumAge(
  policy: PasswordPolicySettings,
  user: { passwordCreatedAt: Date | null; passwordExpiresAt: Date | null },
  now = Date.now(),
): void {
  const days = policy.minAgeDays;
  if (days <= 0 || !user.passwordCreatedAt) return;
  if (user.passwordExpiresAt && user.passwordExpiresAt.getTime() <= now) return;
  const allowedAt = user.passwordCreatedAt.getTime() + days * 86_400_000;
  if (now >= allowedAt) return;
  const daysLeft = Math.floor((allowedAt - now) / 86_400_000);
  throw refused(
    `You cannot change your password at this time due to the minimum password age. Once you change your ` +
      `password, it must be used for ${days} day(s) before it can be changed. Please try again in ` +
      `${daysLeft} day(s) or contact your administrator to reset your password.`,
  );
}

/**
 * The new password must differ from the last uniqueLastCount passwords, the current one
 * included (Keystone's unique_last_password_count). `recent` is newest first.
 */
export async function checkPasswordHistory(
  policy: PasswordPolicySettings,
  password: string,
  recent: string[],
): Promise<void> {
  const count = policy.uniqueLastCount;
  if (count <= 0) return;
  for (const hash of [...new Set(recent)].slice(0, count))
    if (await verifyPassword(password, hash))
      throw refused(
        `The new password cannot be identical to a previous password. The total number which includes ` +
          `the new password must be unique is ${count}.`,
      );
}

/** Whether a password an admin sets must be changed before its first use. */
export function mustChangeOnFirstUse(
  policy: PasswordPolicySettings,
  options: Record<string, unknown>,
): boolean {
  return (
    policy.changeOnFirstUse &&
    options.ignore_change_password_upon_first_use !== true &&
    options.ignore_password_expiry !== true
  );
}
