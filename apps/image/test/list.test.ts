import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImageHarness, startImage } from './harness.js';

type Img = {
  id: string;
  name: string;
  size: number | null;
  created_at: string;
  tags: string[];
  [k: string]: unknown;
};

describe('image listing', () => {
  let h: ImageHarness;
  let token: string;
  const made: Img[] = [];

  beforeAll(async () => {
    h = await startImage();
    token = (await h.tenant('lister')).token;
    const formats = ['raw', 'qcow2', 'iso', 'vmdk'];
    for (let i = 0; i < 12; i++) {
      const img = (await h.createImage(token, {
        name: `img-${String(i).padStart(2, '0')}`,
        disk_format: formats[i % 4],
        visibility: i % 3 === 0 ? 'private' : 'shared',
        tags: i % 2 ? ['odd', `t${i}`] : ['even'],
        flavor: i < 6 ? 'low' : 'high',
        ...(i === 11 ? { os_hidden: true } : {}),
      })) as Img;
      if (formats[i % 4] === 'raw') {
        await h.upload(token, img.id, Buffer.alloc(100 * (i + 1)));
      }
      made.push(img);
    }
  });
  afterAll(async () => {
    await h?.close();
  });

  const list = async (q: string) => {
    const res = await h.call('GET', `/v2/images${q}`, { token });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { images: Img[]; next?: string; first: string; schema: string };
  };
  const names = (b: { images: Img[] }) => b.images.map((i) => i.name);

  it('lists newest first with first/schema links; os_hidden images only on request', async () => {
    const body = await list('');
    expect(body.first).toBe('/v2/images');
    expect(body.schema).toBe('/v2/schemas/images');
    expect(names(body)).toEqual(
      made
        .slice(0, 11)
        .map((i) => i.name)
        .reverse(),
    );
    expect(names(await list('?os_hidden=true'))).toEqual(['img-11']);
  });

  it('pages with limit and marker, following next links to the end', async () => {
    const seen: string[] = [];
    let url: string | undefined = '/v2/images?limit=4&sort=name:asc';
    let pages = 0;
    while (url) {
      const res = await h.call('GET', url, { token });
      const body = res.json() as { images: Img[]; next?: string };
      seen.push(...names(body));
      url = body.next;
      pages++;
    }
    expect(seen).toEqual(made.slice(0, 11).map((i) => i.name));
    expect(pages).toBe(3);
  });

  it('filters by name, status, visibility, formats, tags, size, properties, id=in: and times', async () => {
    expect(names(await list('?name=img-03'))).toEqual(['img-03']);
    expect(names(await list('?name=in:img-01,img-02&sort_key=name&sort_dir=asc'))).toEqual([
      'img-01',
      'img-02',
    ]);
    expect(names(await list(`?id=in:${made[4]!.id},${made[5]!.id}&sort=name:asc`))).toEqual([
      'img-04',
      'img-05',
    ]);
    const active = await list('?status=active&sort=name');
    expect(names(active)).toEqual(['img-08', 'img-04', 'img-00']);
    expect(names(await list('?disk_format=qcow2&sort=name:asc'))).toEqual(['img-01', 'img-05', 'img-09']);
    expect(names(await list('?visibility=private&sort=name:asc'))).toEqual([
      'img-00',
      'img-03',
      'img-06',
      'img-09',
    ]);
    expect(names(await list('?tag=odd&tag=t3'))).toEqual(['img-03']);
    expect(names(await list('?size_min=400&size_max=899&sort=name:asc'))).toEqual(['img-04']);
    expect(names(await list('?size=100'))).toEqual(['img-00']);
    expect(names(await list('?flavor=high&disk_format=iso&sort=name:asc'))).toEqual(['img-06', 'img-10']);
    const mid = made[5]!.created_at;
    const after = await list(`?created_at=gt:${mid}`);
    expect(after.images.every((i) => i.created_at >= mid)).toBe(true);
    const upto = await list(`?created_at=lte:${encodeURIComponent(made[0]!.created_at)}`);
    expect(names(upto)).toContain('img-00');
  });

  it('sorts by several keys and directions', async () => {
    const bySize = await list('?sort=size:desc,name:asc&limit=3');
    expect(names(bySize)).toEqual(['img-08', 'img-04', 'img-00']);
    const asc = await list('?sort_key=disk_format&sort_key=name&sort_dir=asc&sort_dir=desc');
    expect(names(asc).slice(0, 3)).toEqual(['img-10', 'img-06', 'img-02']);
    // paging through a multi-key sort keeps the order
    const all = names(await list('?sort=disk_format:asc,name:desc&limit=100'));
    const paged: string[] = [];
    let url: string | undefined = '/v2/images?sort=disk_format:asc,name:desc&limit=2';
    while (url) {
      const b = (await h.call('GET', url, { token })).json() as { images: Img[]; next?: string };
      paged.push(...names(b));
      url = b.next;
    }
    expect(paged).toEqual(all);
  });
});
