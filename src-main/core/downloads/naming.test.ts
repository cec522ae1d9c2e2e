import { describe, expect, it } from 'vitest';
import { makeAsset, makeJob } from './testing/fixtures';
import { groupIdOf, inferExtension, parentJobIdOf, previewName, promptSlug, renderName, sampleJob, TEMPLATE_VARIABLE_DESCRIPTIONS, TEMPLATE_VARIABLES, validateTemplate } from './naming';
import { isInsideRoot, joinInsideRoot, MAX_SEGMENT_BYTES, sanitiseRelativePath, sanitiseSegment, truncateUtf8, utf8Length } from './sanitise';

describe('sanitise', () => {
  it('counts UTF-8 bytes exactly as an encoder would, without encoding (ASCII, accents, CJK, emoji, lone surrogates)', () => {
    const samples = ['', 'abc-123_x.png', 'café', 'Ñandú', '猫の絵', '🐈‍⬛ cat', 'a\ud800b', '\udc00', 'x\ud83d', 'e\u0301'];
    for (const text of samples) expect(utf8Length(text), JSON.stringify(text)).toBe(new TextEncoder().encode(text).length);
  });

  it('NFC applies to non-ASCII names (a decomposed é and a composed one are one name)', () => {
    expect(sanitiseSegment('cafe\u0301.png')).toBe(sanitiseSegment('caf\u00e9.png'));
    expect(sanitiseRelativePath('dir\u0301/x.png')).toBe('dir\u0301'.normalize('NFC') + '/x.png');
  });

  it('lone surrogates become U+FFFD, as a file system stores them: names that differ only there are one name here too', () => {
    expect(sanitiseSegment('x\ud800y.png')).toBe('x\ufffdy.png');
    expect(sanitiseSegment('x\udc01y.png')).toBe(sanitiseSegment('x\ud801y.png'));
    expect(sanitiseSegment('\ud83c\udff0.png')).toBe('\ud83c\udff0.png'); // a real pair is kept
  });

  it('defuses reserved Windows device names with any extension, case-insensitively', () => {
    for (const name of ['CON', 'con.png', 'Prn.txt', 'AUX', 'nul.tar.gz', 'COM1.png', 'lpt9', 'COM¹.png']) {
      expect(sanitiseSegment(name)).toBe(`_${name}`);
    }
    expect(sanitiseSegment('CONSOLE.png')).toBe('CONSOLE.png');
  });

  it('replaces illegal and control characters, trailing dots and spaces, leading dots', () => {
    expect(sanitiseSegment('a<b>c:d"e|f?g*h\u0001i.png')).toBe('a_b_c_d_e_f_g_h_i.png');
    expect(sanitiseSegment('name. . ')).toBe('name');
    expect(sanitiseSegment('..')).toBe('_');
    expect(sanitiseSegment('.hidden')).toBe('_hidden');
    expect(sanitiseSegment('   ')).toBe('_');
  });

  it('keeps useapi ids (with ":") safe', () => {
    expect(sanitiseSegment('j1023141520123456789i-u12345-c1234567890123456789-bot:midjourney_1.png')).toBe('j1023141520123456789i-u12345-c1234567890123456789-bot_midjourney_1.png');
  });

  it('normalises to NFC and bounds bytes without cutting a code point, keeping the extension', () => {
    expect(sanitiseSegment('cafe\u0301.png')).toBe('caf\u00e9.png');
    const long = `${'é'.repeat(150)}🙂🙂.png`;
    const out = sanitiseSegment(long);
    expect(utf8Length(out)).toBeLessThanOrEqual(MAX_SEGMENT_BYTES);
    expect(out.endsWith('.png')).toBe(true);
    expect(out).not.toContain('\uFFFD');
    expect(truncateUtf8('a🙂b', 4)).toBe('a');
  });

  it('never lets a relative path climb out or be absolute', () => {
    expect(sanitiseRelativePath('../../etc/passwd')).toBe('_/_/etc/passwd');
    expect(sanitiseRelativePath('/etc/passwd')).toBe('etc/passwd');
    expect(sanitiseRelativePath('C:\\Windows\\system32\\x.dll')).toBe('C_/Windows/system32/x.dll');
    expect(sanitiseRelativePath('\\\\server\\share\\x')).toBe('server/share/x');
    expect(sanitiseRelativePath('a/./b//c')).toBe('a/b/c');
  });

  it('bounds the whole relative path', () => {
    const deep = Array.from({ length: 20 }, () => 'd'.repeat(150)).join('/') + '/file.png';
    const out = sanitiseRelativePath(deep);
    expect(utf8Length(out)).toBeLessThanOrEqual(600);
    expect(out.endsWith('file.png')).toBe(true);
  });

  it('checks containment after normalisation', () => {
    expect(isInsideRoot('/r', '/r/a/b')).toBe(true);
    expect(isInsideRoot('/r', '/r/../etc')).toBe(false);
    expect(isInsideRoot('/r', '/rx/a')).toBe(false);
    expect(isInsideRoot('C:\\Users\\me', 'c:/users/me/x.png')).toBe(true);
    const joined = joinInsideRoot('/root/dl', '../../etc/passwd');
    expect(joined.ok && joined.value.path).toBe('/root/dl/_/_/etc/passwd');
    expect(joinInsideRoot('', 'x').ok).toBe(false);
  });
});

describe('naming', () => {
  const job = makeJob([makeAsset('https://cdn.example.com/a/0.png'), makeAsset('https://cdn.example.com/a/1', { index: 1, contentType: 'image/webp' })]);

  it('renders the template with every variable', () => {
    const asset = job.assets[0];
    if (asset === undefined) throw new Error('fixture');
    const r = renderName('{provider}/{account}/{date}/{time}/{jobId}/{shortId}/{index}/{n}/{kind}/{model}/{modality}/{prompt}.{ext}', job, asset, 'png');
    expect(r).toEqual({ ok: true, value: 'apiframe/default/2026-03-14/09-01-00/3f2c9a1e-5b7d-4c2e-9f10-2a6b8c4d0e11/3f2c9a1e/1/1/image/midjourney/image/a-lighthouse-at-dusk.png' });
  });

  it('previews with a sample job and rejects unknown variables', () => {
    expect(previewName('{provider}/{date}/{jobId}_{index}.{ext}')).toEqual({ ok: true, value: 'apiframe/2026-03-15/3f2c9a1e-5b7d-4c2e-9f10-2a6b8c4d0e11_1.png' });
    expect(validateTemplate('{nope}.{ext}').ok).toBe(false);
    expect(validateTemplate('{jobId.{ext}').ok).toBe(false);
    expect(validateTemplate('').ok).toBe(false);
    // The last extension is always the downloaded type's: "Open" must never run a file a template renamed.
    for (const t of ['{jobId}.{ext}.exe', '{jobId}.desktop', '{jobId}_{ext}', '{jobId}.{ext} ', '{jobId}']) {
      const checked = validateTemplate(t);
      expect(checked.ok ? t : checked.error.message).toBe(t.trim().endsWith('.{ext}') ? t : 'The naming template must end with .{ext}, so every file keeps the type it was downloaded as.');
    }
  });

  it('variables never create folders or escape the root', () => {
    const hostile = makeJob([makeAsset('https://x.example/a.png')], { id: '../../etc/passwd', prompt: '/etc/shadow ../..', model: 'C:\\evil' });
    const asset = hostile.assets[0];
    if (asset === undefined) throw new Error('fixture');
    const r = renderName('{model}/{jobId}_{prompt}.{ext}', hostile, asset, 'png');
    expect(r.ok && r.value).toBe('C__evil/_._.._etc_passwd_etc-shadow.png');
  });

  it('{group}: a useapi grid and its upscales share a folder; other jobs group by their own id', () => {
    const GRID = 'j0315095800123i-u12345-c1234567890123456789-bot:midjourney';
    const U1 = 'j0315100000456i-u12345-c1234567890123456789-bot:midjourney';
    const template = '{provider}/{group}/{jobId}_{kind}-{index}.{ext}';
    const grid = makeJob([makeAsset('https://cdn.example.com/g.png', { kind: 'grid' })], { provider: 'useapi', id: GRID, raw: { request: { prompt: 'a cat' } } });
    const u1 = makeJob([makeAsset('https://cdn.example.com/u1.png')], { provider: 'useapi', id: U1, raw: { request: { button: 'U1', jobId: GRID } } });
    const render = (job: typeof grid): string => {
      const asset = job.assets[0];
      if (asset === undefined) throw new Error('fixture');
      const r = renderName(template, job, asset, 'png');
      if (!r.ok) throw new Error(r.error.message);
      return r.value;
    };
    const folder = 'useapi/j0315095800123i-u12345-c1234567890123456789-bot_midjourney';
    expect(render(grid)).toBe(`${folder}/j0315095800123i-u12345-c1234567890123456789-bot_midjourney_grid-1.png`);
    expect(render(u1)).toBe(`${folder}/j0315100000456i-u12345-c1234567890123456789-bot_midjourney_image-1.png`);
    expect(parentJobIdOf(u1)).toBe(GRID);
    expect(groupIdOf(grid)).toBe(GRID);
    // No parent, odd raw shapes, a self-reference or a hostile parent id: safe and sane.
    for (const raw of [null, 'x', { request: null }, { request: { jobId: 42 } }, { request: { jobId: '  ' } }, { request: { jobId: U1 } }]) {
      expect(groupIdOf({ ...u1, raw })).toBe(U1);
    }
    const hostile = renderName('{group}/{jobId}.{ext}', { ...u1, raw: { request: { jobId: '../../etc' } } }, u1.assets[0] ?? makeAsset(''), 'png');
    expect(hostile.ok && hostile.value).toBe('_._.._etc/j0315100000456i-u12345-c1234567890123456789-bot_midjourney.png');
    expect(validateTemplate(template).ok).toBe(true);
    expect(previewName('{group}/{jobId}.{ext}')).toEqual({ ok: true, value: `${sampleJob().id}/${sampleJob().id}.png` });
  });

  it('describes every template variable', () => {
    expect(Object.keys(TEMPLATE_VARIABLE_DESCRIPTIONS).sort()).toEqual([...TEMPLATE_VARIABLES].sort());
    expect(TEMPLATE_VARIABLES).toContain('group');
  });

  it('slugs prompts: Midjourney params and URLs dropped, emoji removed, length bounded', () => {
    expect(promptSlug('A Cat 🐱 in a hat --ar 16:9 --v 7 https://s.mj.run/x')).toBe('a-cat-in-a-hat');
    expect(utf8Length(promptSlug('word '.repeat(60)))).toBeLessThanOrEqual(60);
    expect(promptSlug('🙂🙂')).toBe('no-prompt');
    expect(promptSlug('日本の城')).toBe('日本の城');
  });

  it('picks the extension from the URL, then the filename, then Content-Type, then the kind', () => {
    expect(inferExtension(makeAsset('https://x/a/b.JPEG?sig=1'))).toEqual({ ext: 'jpg', confident: true });
    expect(inferExtension(makeAsset('https://x/a/b', { filename: 'grid.webp' }))).toEqual({ ext: 'webp', confident: true });
    expect(inferExtension(makeAsset('https://x/a/b', { contentType: 'video/mp4' }))).toEqual({ ext: 'mp4', confident: true });
    expect(inferExtension(makeAsset('https://x/a/b.php', { kind: 'audio' }))).toEqual({ ext: 'mp3', confident: false });
    expect(inferExtension(makeAsset('https://x/a/b'), 'image/gif')).toEqual({ ext: 'gif', confident: true });
  });
});
