import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImageHarness, startImage } from './harness.js';

const PATCH = { 'content-type': 'application/openstack-images-v2.1-json-patch' };
type Img = { id: string; visibility: string };

describe('visibility, membership and policy', () => {
  let h: ImageHarness;
  let alt: { projectId: string; token: string };
  let third: { projectId: string; token: string };
  let reader: { projectId: string; token: string };
  const imgs: Record<string, Img> = {};

  beforeAll(async () => {
    h = await startImage();
    alt = await h.tenant('alt');
    third = await h.tenant('third');
    reader = await h.tenant('readonly', 'reader');
    for (const v of ['private', 'shared', 'community'])
      imgs[v] = (await h.createImage(h.demoToken, { name: `demo-${v}`, visibility: v })) as Img;
    imgs.public = (await h.createImage(h.adminToken, { name: 'admin-public', visibility: 'public' })) as Img;
  });
  afterAll(async () => {
    await h?.close();
  });

  const ids = async (token: string, query = '') => {
    const res = await h.call('GET', `/v2/images${query}`, { token });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { images: Img[] }).images.map((i) => i.id);
  };

  it('only an admin makes an image public; members make private/shared/community ones', async () => {
    const res = await h.call('POST', '/v2/images', { token: h.demoToken, body: { visibility: 'public' } });
    expect(res.statusCode).toBe(403);
    const patch = await h.call('PATCH', `/v2/images/${imgs.private!.id}`, {
      token: h.demoToken,
      headers: PATCH,
      body: [{ op: 'replace', path: '/visibility', value: 'public' }],
    });
    expect(patch.statusCode).toBe(403);
    // a reader may not create; nobody creates for another project unless admin
    expect((await h.call('POST', '/v2/images', { token: reader.token, body: {} })).statusCode).toBe(403);
    expect(
      (await h.call('POST', '/v2/images', { token: h.demoToken, body: { owner: alt.projectId } })).statusCode,
    ).toBe(403);
    const forAlt = await h.call('POST', '/v2/images', {
      token: h.adminToken,
      body: { owner: alt.projectId },
    });
    expect(forAlt.statusCode).toBe(201);
    expect(await ids(alt.token)).toContain((forAlt.json() as Img).id);
  });

  it('lists own, public and accepted shared images; community only when asked', async () => {
    const mine = await ids(h.demoToken);
    for (const v of ['private', 'shared', 'community', 'public']) expect(mine).toContain(imgs[v]!.id);
    const others = await ids(alt.token);
    expect(others).toContain(imgs.public!.id);
    for (const v of ['private', 'shared', 'community']) expect(others).not.toContain(imgs[v]!.id);
    expect(await ids(alt.token, '?visibility=community')).toEqual([imgs.community!.id]);
    expect(await ids(alt.token, '?visibility=all')).toEqual(
      expect.arrayContaining([imgs.community!.id, imgs.public!.id]),
    );
    // the admin sees everything
    const all = await ids(h.adminToken);
    for (const v of ['private', 'shared', 'community', 'public']) expect(all).toContain(imgs[v]!.id);
  });

  it('hides unseen images as 404 (never 403), but shows public and community ones by id', async () => {
    for (const v of ['private', 'shared']) {
      for (const [m, url] of [
        ['GET', ''],
        ['DELETE', ''],
        ['GET', '/file'],
        ['GET', '/members'],
        ['PUT', '/tags/x'],
      ] as const) {
        const res = await h.call(m, `/v2/images/${imgs[v]!.id}${url}`, { token: alt.token });
        expect(res.statusCode, `${v} ${m} ${url}`).toBe(404);
      }
    }
    expect((await h.call('GET', `/v2/images/${imgs.community!.id}`, { token: alt.token })).statusCode).toBe(
      200,
    );
    expect((await h.call('GET', `/v2/images/${imgs.public!.id}`, { token: alt.token })).statusCode).toBe(200);
    // seen but not owned: 403 for changes
    const del = await h.call('DELETE', `/v2/images/${imgs.community!.id}`, { token: alt.token });
    expect(del.statusCode).toBe(403);
    const patch = await h.call('PATCH', `/v2/images/${imgs.public!.id}`, {
      token: h.demoToken,
      headers: PATCH,
      body: [{ op: 'replace', path: '/name', value: 'mine now' }],
    });
    expect(patch.statusCode).toBe(403);
  });

  it('shares an image: pending → accepted → rejected, only the member answers', async () => {
    const shared = imgs.shared!.id;
    const add = await h.call('POST', `/v2/images/${shared}/members`, {
      token: h.demoToken,
      body: { member: alt.projectId },
    });
    expect(add.statusCode, add.body).toBe(200);
    expect(add.json()).toMatchObject({
      image_id: shared,
      member_id: alt.projectId,
      status: 'pending',
      schema: '/v2/schemas/member',
    });
    expect(
      (
        await h.call('POST', `/v2/images/${shared}/members`, {
          token: h.demoToken,
          body: { member: alt.projectId },
        })
      ).statusCode,
    ).toBe(409);

    // pending: visible by id, not in the default list, listed with member_status=pending
    expect((await h.call('GET', `/v2/images/${shared}`, { token: alt.token })).statusCode).toBe(200);
    expect(await ids(alt.token)).not.toContain(shared);
    expect(await ids(alt.token, '?visibility=shared&member_status=pending')).toEqual([shared]);
    // a third project sees nothing of it
    expect((await h.call('GET', `/v2/images/${shared}`, { token: third.token })).statusCode).toBe(404);
    expect(
      (await h.call('GET', `/v2/images/${shared}/members/${alt.projectId}`, { token: third.token }))
        .statusCode,
    ).toBe(404);

    // the owner cannot accept for the member; the member cannot add members
    const ownerAccept = await h.call('PUT', `/v2/images/${shared}/members/${alt.projectId}`, {
      token: h.demoToken,
      body: { status: 'accepted' },
    });
    expect(ownerAccept.statusCode).toBe(403);
    const memberAdds = await h.call('POST', `/v2/images/${shared}/members`, {
      token: alt.token,
      body: { member: third.projectId },
    });
    expect(memberAdds.statusCode).toBe(403);
    const badStatus = await h.call('PUT', `/v2/images/${shared}/members/${alt.projectId}`, {
      token: alt.token,
      body: { status: 'notavalidstatus' },
    });
    expect(badStatus.statusCode).toBe(400);

    const accept = await h.call('PUT', `/v2/images/${shared}/members/${alt.projectId}`, {
      token: alt.token,
      body: { status: 'accepted' },
    });
    expect(accept.statusCode).toBe(200);
    expect(await ids(alt.token)).toContain(shared);
    const members = await h.call('GET', `/v2/images/${shared}/members`, { token: h.demoToken });
    expect(members.json()).toMatchObject({
      members: [{ member_id: alt.projectId, status: 'accepted' }],
      schema: '/v2/schemas/members',
    });
    // the member sees only itself
    const own = await h.call('GET', `/v2/images/${shared}/members`, { token: alt.token });
    expect((own.json() as { members: unknown[] }).members).toHaveLength(1);
    // a member may not delete the image nor remove itself
    expect((await h.call('DELETE', `/v2/images/${shared}`, { token: alt.token })).statusCode).toBe(403);
    expect(
      (await h.call('DELETE', `/v2/images/${shared}/members/${alt.projectId}`, { token: alt.token }))
        .statusCode,
    ).toBe(403);

    await h.call('PUT', `/v2/images/${shared}/members/${alt.projectId}`, {
      token: alt.token,
      body: { status: 'rejected' },
    });
    expect(await ids(alt.token)).not.toContain(shared);
    expect(
      (await h.call('DELETE', `/v2/images/${shared}/members/${alt.projectId}`, { token: h.demoToken }))
        .statusCode,
    ).toBe(204);
    expect((await h.call('GET', `/v2/images/${shared}`, { token: alt.token })).statusCode).toBe(404);
  });

  it('allows members only on shared images', async () => {
    const res = await h.call('POST', `/v2/images/${imgs.private!.id}/members`, {
      token: h.demoToken,
      body: { member: alt.projectId },
    });
    expect(res.statusCode).toBe(403);
  });

  it('lets the owner or an admin deactivate; deactivated data is forbidden to non-admins', async () => {
    const img = (await h.createImage(h.demoToken, { visibility: 'community' })) as Img;
    expect((await h.upload(h.demoToken, img.id, Buffer.from('data'))).statusCode).toBe(204);
    const act = (token: string, action = 'deactivate') =>
      h.call('POST', `/v2/images/${img.id}/actions/${action}`, { token }).then((r) => r.statusCode);
    expect(await act(alt.token)).toBe(403);
    expect(await act(h.demoToken)).toBe(204);
    expect(await act(h.adminToken)).toBe(204);
    const shown = await h.call('GET', `/v2/images/${img.id}`, { token: h.demoToken });
    expect((shown.json() as { status: string }).status).toBe('deactivated');
    expect((await h.call('GET', `/v2/images/${img.id}/file`, { token: h.demoToken })).statusCode).toBe(403);
    expect((await h.call('GET', `/v2/images/${img.id}/file`, { token: h.adminToken })).statusCode).toBe(200);
    expect(
      (await h.call('POST', `/v2/images/${img.id}/actions/reactivate`, { token: h.adminToken })).statusCode,
    ).toBe(204);
    expect((await h.call('GET', `/v2/images/${img.id}/file`, { token: h.demoToken })).body).toBe('data');
  });

  it('changes the owner only as admin', async () => {
    const img = (await h.createImage(h.demoToken)) as Img;
    const body = [{ op: 'replace', path: '/owner', value: alt.projectId }];
    expect(
      (await h.call('PATCH', `/v2/images/${img.id}`, { token: h.demoToken, headers: PATCH, body }))
        .statusCode,
    ).toBe(403);
    const ok = await h.call('PATCH', `/v2/images/${img.id}`, { token: h.adminToken, headers: PATCH, body });
    expect(ok.statusCode).toBe(200);
    expect((ok.json() as { owner: string }).owner).toBe(alt.projectId);
  });
});
