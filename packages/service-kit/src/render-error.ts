import { STATUS_CODES } from 'node:http';
import type { KumoError } from './errors.js';

/** The OpenStack error body formats, one per service family. */
export type ErrorFormat = 'keystone' | 'nova' | 'neutron' | 'glance' | 'cinder' | 'kumo';

const novaKey: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  406: 'notAcceptable',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

export interface RenderedError {
  status: number;
  body: unknown;
}

export function renderError(format: ErrorFormat, err: KumoError): RenderedError {
  const status = err.status;
  const title = STATUS_CODES[status] ?? 'Error';
  const message = err.message;
  switch (format) {
    case 'keystone':
      return { status, body: { error: { code: status, message, title } } };
    case 'nova':
    case 'cinder':
      return { status, body: { [novaKey[status] ?? 'computeFault']: { code: status, message } } };
    case 'neutron':
      return {
        status,
        body: { NeutronError: { type: err.type ?? title.replace(/\s+/g, ''), message, detail: '' } },
      };
    case 'glance':
      return { status, body: { code: status, title, message } };
    default:
      return { status, body: { error: { code: status, kind: err.kind, message } } };
  }
}
