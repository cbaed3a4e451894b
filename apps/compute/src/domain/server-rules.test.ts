import { describe, expect, it } from 'vitest';
import { checkResizeQuota, fitCount } from './server-quota.js';
import { ACTION_RULES, checkActionState, statusFilter } from './server-states.js';
import {
  canonicalUuid,
  consoleLengthField,
  hostnameFromName,
  nameField,
  refId,
  tagsField,
  userDataField,
} from './server-validation.js';

describe('fitCount (multi-create under quota)', () => {
  const limits = { instances: 10, cores: 20, ram: 51_200 };
  it('creates as many as fit between min and max', () => {
    expect(fitCount({ instances: 0, cores: 0, ram: 0 }, limits, { cores: 1, ram: 512 }, 1, 5)).toBe(5);
    expect(fitCount({ instances: 7, cores: 7, ram: 0 }, limits, { cores: 1, ram: 512 }, 1, 5)).toBe(3);
    expect(fitCount({ instances: 0, cores: 16, ram: 0 }, limits, { cores: 2, ram: 512 }, 1, 5)).toBe(2);
  });
  it('unlimited (-1) resources never bind', () => {
    expect(
      fitCount(
        { instances: 99, cores: 0, ram: 0 },
        { ...limits, instances: -1 },
        { cores: 0, ram: 0 },
        1,
        50,
      ),
    ).toBe(50);
  });
  it('fewer than min → 403 naming the resource', () => {
    expect(() => fitCount({ instances: 10, cores: 0, ram: 0 }, limits, { cores: 1, ram: 1 }, 1, 1)).toThrow(
      /Quota exceeded for instances: Requested 1, but already used 10 of 10 instances/,
    );
    expect(() => fitCount({ instances: 0, cores: 19, ram: 0 }, limits, { cores: 2, ram: 1 }, 1, 1)).toThrow(
      /for cores/,
    );
  });
  it('resize checks only growing deltas', () => {
    expect(() =>
      checkResizeQuota({ instances: 1, cores: 20, ram: 0 }, limits, { cores: -1, ram: 0 }),
    ).not.toThrow();
    expect(() => checkResizeQuota({ instances: 1, cores: 20, ram: 0 }, limits, { cores: 1, ram: 0 })).toThrow(
      /cores/,
    );
  });
});

describe('state guards', () => {
  const s = (vmState: string, taskState: string | null = null, locked = false) => ({
    id: 'x',
    vmState,
    taskState,
    locked,
  });
  it('accept the allowed states and refuse others with Nova’s message', () => {
    expect(() => checkActionState(s('stopped'), ACTION_RULES.start, false)).not.toThrow();
    expect(() => checkActionState(s('active'), ACTION_RULES.start, false)).toThrow(
      "Cannot 'start' instance x while it is in vm_state active",
    );
    expect(() => checkActionState(s('stopped', 'powering_on'), ACTION_RULES.start, false)).toThrow(
      "Cannot 'start' instance x while it is in task_state powering_on",
    );
  });
  it('locked servers refuse members, not admins', () => {
    expect(() => checkActionState(s('active', null, true), ACTION_RULES.stop, false)).toThrow(
      'Instance x is locked',
    );
    expect(() => checkActionState(s('active', null, true), ACTION_RULES.stop, true)).not.toThrow();
  });
  it('status filters map to vm/task states', () => {
    expect(statusFilter('shutoff')).toEqual({ vm: ['stopped'] });
    expect(statusFilter('HARD_REBOOT')).toEqual({ task: ['rebooting_hard'] });
    expect(statusFilter('nope')).toBeUndefined();
  });
});

describe('field validation', () => {
  it('names', () => {
    expect(nameField('name', 'ok name')).toBe('ok name');
    for (const bad of ['', ' lead', 'trail ', 'a'.repeat(256), 'tab\there', 5])
      expect(() => nameField('name', bad)).toThrow(/Invalid input for field\/attribute name/);
  });
  it('refs, uuids, hostnames', () => {
    expect(refId('flavorRef', 'http://h/v2.1/flavors/42')).toBe('42');
    expect(refId('flavorRef', 7)).toBe('7');
    expect(canonicalUuid('6B1F3A9E1D4E4F0A9C550A0A0A0A0A0A')).toBe('6b1f3a9e-1d4e-4f0a-9c55-0a0a0a0a0a0a');
    expect(hostnameFromName('My Web_Server!', 'fb')).toBe('my-web-server');
    expect(hostnameFromName('!!!', 'fallback')).toBe('fallback');
  });
  it('tags, user data, console length', () => {
    expect(tagsField(['a', 'a', 'b'])).toEqual(['a', 'b']);
    expect(() => tagsField(['a/b'])).toThrow();
    expect(userDataField('aGk=')).toBe('aGk=');
    expect(() => userDataField('***')).toThrow(/base64/);
    expect(consoleLengthField('-1')).toBeNull();
    expect(consoleLengthField(3)).toBe(3);
    expect(() => consoleLengthField(1.5)).toThrow();
  });
});
