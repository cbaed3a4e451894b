import { describe, expect, it } from 'vitest';
import { type DatapathProbe, detectDatapath, kernelDatapathAvailable, resolveDatapath } from './datapath.js';

function probe(opts: {
  loaded: boolean;
  loadable?: boolean;
  dpWorks?: boolean;
}): DatapathProbe & { calls: string[] } {
  let loaded = opts.loaded;
  const calls: string[] = [];
  return {
    calls,
    moduleLoaded: () => loaded,
    run: async (cmd, args) => {
      calls.push(`${cmd} ${args.join(' ')}`);
      if (cmd === 'modprobe') {
        if (!opts.loadable) throw new Error('modprobe: FATAL: Module openvswitch not found');
        if (!args.includes('-n')) loaded = true;
        return;
      }
      if (cmd === 'ovs-dpctl' && args[0] === 'add-dp' && !opts.dpWorks) throw new Error('no datapath');
    },
  };
}

describe('datapath detection', () => {
  it('a loaded module whose datapath works → system (the probe datapath is deleted again)', async () => {
    const p = probe({ loaded: true, dpWorks: true });
    expect(await detectDatapath(p)).toBe('system');
    expect(p.calls.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual([
      'ovs-dpctl add-dp',
      'ovs-dpctl del-dp',
    ]);
  });

  it('no module anywhere → netdev, without trying a datapath', async () => {
    const p = probe({ loaded: false, loadable: false });
    expect(await detectDatapath(p)).toBe('netdev');
    expect(p.calls).toEqual(['modprobe -n openvswitch']);
  });

  it('a loadable module is loaded, then probed', async () => {
    const p = probe({ loaded: false, loadable: true, dpWorks: true });
    expect(await kernelDatapathAvailable(p)).toBe(true);
    expect(p.calls[1]).toBe('modprobe openvswitch');
  });

  it('a module whose datapath cannot be created does not count', async () => {
    expect(await kernelDatapathAvailable(probe({ loaded: true, dpWorks: false }))).toBe(false);
  });

  it('an explicit setting wins over probing', async () => {
    const p = probe({ loaded: true, dpWorks: true });
    expect(await resolveDatapath('netdev', p)).toBe('netdev');
    expect(await resolveDatapath('auto', p)).toBe('system');
    expect(p.calls.length).toBe(2);
  });

  it('this host answers without throwing', async () => {
    expect(['system', 'netdev']).toContain(await detectDatapath());
  });
});
