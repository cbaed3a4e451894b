import { z } from 'zod';

/** POST /v3/auth/tokens body, as the Keystone API reference defines it. */
const domainRef = z.object({ id: z.string().max(64).optional(), name: z.string().max(255).optional() });
const userRef = z.object({
  id: z.string().max(64).optional(),
  name: z.string().max(255).optional(),
  domain: domainRef.optional(),
  password: z.string().max(4096).optional(),
});

export const authRequestSchema = z.object({
  auth: z.object({
    identity: z.object({
      methods: z.array(z.string()).min(1),
      password: z.object({ user: userRef }).optional(),
      token: z.object({ id: z.string().max(16384) }).optional(),
      application_credential: z
        .object({
          id: z.string().max(64).optional(),
          name: z.string().max(255).optional(),
          secret: z.string().max(4096),
          user: userRef.optional(),
        })
        .optional(),
    }),
    scope: z
      .union([
        z.literal('unscoped'),
        z.object({
          project: z
            .object({
              id: z.string().max(64).optional(),
              name: z.string().max(255).optional(),
              domain: domainRef.optional(),
            })
            .optional(),
          domain: domainRef.optional(),
          system: z.object({ all: z.boolean() }).optional(),
          'OS-TRUST:trust': z.object({ id: z.string().min(1).max(64) }).optional(),
        }),
      ])
      .optional(),
  }),
});

export type AuthRequest = z.infer<typeof authRequestSchema>;
export type UserRef = z.infer<typeof userRef>;
export type DomainRef = z.infer<typeof domainRef>;
