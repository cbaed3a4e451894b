import type { FastifyInstance } from 'fastify';
import type { IdentityContext } from '../context.js';
import { applicationCredentialRoutes } from './application-credentials.routes.js';
import { authRoutes } from './auth.routes.js';
import { credentialRoutes } from './credentials.routes.js';
import { domainConfigRoutes } from './domain-configs.routes.js';
import { domainRoutes } from './domains.routes.js';
import { ec2CredentialRoutes } from './ec2-credentials.routes.js';
import { endpointGroupRoutes } from './endpoint-groups.routes.js';
import { endpointRoutes } from './endpoints.routes.js';
import { grantRoutes } from './grants.routes.js';
import { groupRoutes } from './groups.routes.js';
import { oauthConsumerRoutes } from './oauth-consumers.routes.js';
import { policyRoutes } from './policies.routes.js';
import { projectRoutes } from './projects.routes.js';
import { regionRoutes } from './regions.routes.js';
import { roleAssignmentRoutes } from './role-assignments.routes.js';
import { roleRoutes } from './roles.routes.js';
import { serviceRoutes } from './services.routes.js';
import { trustRoutes } from './trusts.routes.js';
import { userRoutes } from './users.routes.js';
import { versionRoutes } from './versions.routes.js';

/** Every identity route, one file per resource. */
export function identityRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  versionRoutes(app);
  authRoutes(app, ctx);
  domainRoutes(app, ctx);
  domainConfigRoutes(app, ctx);
  projectRoutes(app, ctx);
  userRoutes(app, ctx);
  groupRoutes(app, ctx);
  credentialRoutes(app, ctx);
  ec2CredentialRoutes(app, ctx);
  roleRoutes(app, ctx);
  grantRoutes(app, ctx);
  roleAssignmentRoutes(app, ctx);
  regionRoutes(app, ctx);
  serviceRoutes(app, ctx);
  endpointRoutes(app, ctx);
  endpointGroupRoutes(app, ctx);
  applicationCredentialRoutes(app, ctx);
  policyRoutes(app, ctx);
  oauthConsumerRoutes(app, ctx);
  trustRoutes(app, ctx);
}
