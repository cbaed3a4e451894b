import { KumoError } from '@kumo/service-kit';

/**
 * Neutron's error types, rendered as `{"NeutronError": {"type", "message", "detail"}}` by
 * service-kit's 'neutron' format (status from the kind).
 */
export const badRequest = (message: string, type = 'HTTPBadRequest') =>
  new KumoError('invalid', message, { type });
export const invalidInput = (message: string) =>
  new KumoError('invalid', `Invalid input for operation: ${message}`, { type: 'InvalidInput' });
export const notFoundOf = (type: string, message: string) => new KumoError('not_found', message, { type });
export const conflictOf = (type: string, message: string) => new KumoError('conflict', message, { type });
export const policyDenied = (rule: string) =>
  new KumoError('forbidden', `(rule:${rule}) is disallowed by policy`, { type: 'PolicyNotAuthorized' });

export const networkNotFound = (id: string) =>
  notFoundOf('NetworkNotFound', `Network ${id} could not be found.`);
export const subnetNotFound = (id: string) =>
  notFoundOf('SubnetNotFound', `Subnet ${id} could not be found.`);
export const portNotFound = (id: string) => notFoundOf('PortNotFound', `Port ${id} could not be found.`);

/** 412: `If-Match: revision_number=N` did not hold. */
export class PreconditionFailed extends KumoError {
  constructor(message: string) {
    super('conflict', message, { type: 'RevisionNumberConstraintFailed' });
  }
  override get status(): number {
    return 412;
  }
}

export const overQuota = (resources: string[]) =>
  new KumoError('conflict', `Quota exceeded for resources: [${resources.map((r) => `'${r}'`).join(', ')}].`, {
    type: 'OverQuota',
  });

export const macInUse = (networkId: string, mac: string) =>
  conflictOf(
    'MacAddressInUse',
    `Unable to complete operation for network ${networkId}. The mac address ${mac} is in use.`,
  );
export const addressPairsNeedPortSecurity = () =>
  conflictOf(
    'AddressPairAndPortSecurityRequired',
    'Port Security must be enabled in order to have allowed address pairs on a port.',
  );
/** Neutron's InvalidInput (400): security groups on a port without port security. */
export const sgNeedsPortSecurity = () =>
  new KumoError(
    'invalid',
    'Port security must be enabled and port must have an IP address in order to use security groups.',
    { type: 'PortSecurityAndIPRequiredForSecurityGroups' },
  );
/** 409: port security cannot be switched off while the port has security groups. */
export const portHasSecurityGroups = () =>
  conflictOf(
    'PortSecurityPortHasSecurityGroup',
    'Port has security group associated. Cannot disable port security or ip address until security group is removed',
  );
