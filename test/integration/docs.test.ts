/**
 * Opens the generated reference architecture pages in real headless Chromium (Debian's package,
 * installed by scripts/integration/chromium.sh, driven by playwright-core) and proves that they
 * are self-contained: the page loads with no console error and the browser makes no request
 * other than the page's own file:// URL. The diagram renders with a real size, and a full-page
 * screenshot of each page is written to test-artifacts/docs/ (gitignored) for a human to look at.
 *
 * The pages come from the compiled CLI (`npm run test:integration` builds first), exactly as
 * `npx sovereign-matrix docs` writes them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';

const ROOT = join(__dirname, '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'docs');
const DEPLOYMENTS = [
  join(ROOT, 'docs', 'reference-architectures', 'reference-small.yaml'),
  join(ROOT, 'docs', 'reference-architectures', 'reference-large.yaml'),
  join(ROOT, 'deployments', 'agency-kubernetes.yaml'),
];
const PAGES = ['small', 'large', 'agency-k8s'];
const timings: string[] = [];

/** The flags the brief for this test names: no sandbox (root in CI), no GPU, no background traffic. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let work: string;
let out: string;
let context: BrowserContext;

beforeAll(async () => {
  let start = Date.now();
  const install = spawnSync('bash', [join(ROOT, 'scripts', 'integration', 'chromium.sh')], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`scripts/integration/chromium.sh failed:\n${install.stderr}`);
  const executablePath = install.stdout.trim().split('\n').pop()!.replace(/^chromium=/, '');
  timings.push(`chromium.sh ${((Date.now() - start) / 1000).toFixed(1)} s`);

  work = mkdtempSync(join(tmpdir(), 'sm-docs-browser-'));
  out = join(work, 'out');
  start = Date.now();
  const docs = spawnSync(process.execPath, [join(ROOT, 'bin', 'sovereign-matrix.js'), 'docs', ...DEPLOYMENTS, '--out', out], { encoding: 'utf8' });
  if (docs.status !== 0) throw new Error(`sovereign-matrix docs failed (${docs.status}):\n${docs.stdout}${docs.stderr}`);
  timings.push(`docs for ${DEPLOYMENTS.length} deployments ${((Date.now() - start) / 1000).toFixed(1)} s`);

  start = Date.now();
  // A fresh profile per run (playwright passes it to Chromium as --user-data-dir).
  context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
  });
  timings.push(`browser start ${((Date.now() - start) / 1000).toFixed(1)} s`);
  mkdirSync(ARTIFACTS, { recursive: true });
}, 15 * 60 * 1000);

afterAll(async () => {
  await context?.close();
  if (work) rmSync(work, { recursive: true, force: true });
  process.stdout.write(`docs browser test timings: ${timings.join(', ')}\n`);
});

describe.each(PAGES)('reference architecture page %s in headless Chromium', (name) => {
  it('loads with no console error, requests nothing but itself, renders the diagram; screenshot saved', async () => {
    const url = pathToFileURL(join(out, `${name}.html`)).href;
    const requests: string[] = [];
    const errors: string[] = [];
    // Every request of the context is recorded, and anything that is not the page is refused.
    await context.route('**/*', async (route) => {
      requests.push(route.request().url());
      if (route.request().url() === url) await route.continue();
      else await route.abort();
    });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') errors.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    page.on('requestfailed', (request) => errors.push(`requestfailed: ${request.url()}`));
    const start = Date.now();
    const response = await page.goto(url, { waitUntil: 'load' });
    await page.waitForLoadState('networkidle');
    timings.push(`${name} load ${Date.now() - start} ms`);

    expect(response?.ok() ?? true).toBe(true);
    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);

    expect(await page.title()).toMatch(/^Reference architecture: /);
    const diagram = await page.locator('figure svg').boundingBox();
    expect(diagram?.width ?? 0).toBeGreaterThan(400);
    expect(diagram?.height ?? 0).toBeGreaterThan(150);
    expect(await page.locator('figure svg g.node').count()).toBeGreaterThan(5);
    // Legible: the labels are drawn at the size Graphviz laid them out (11 pt nodes), not shrunk to the page.
    const label = await page.locator('figure svg g.node text').first().boundingBox();
    expect(label?.height ?? 0).toBeGreaterThanOrEqual(11);
    expect(await page.locator('table').count()).toBeGreaterThan(5);
    expect(await page.locator('script').count()).toBe(0);

    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    await page.close();
    await context.unroute('**/*');
  });
});

describe('the request and console checks themselves', () => {
  it('see a page that loads something from elsewhere (negative control)', async () => {
    const leaky = join(work, 'leaky.html');
    writeFileSync(leaky, '<!DOCTYPE html><html><head><title>leaky</title></head><body><img src="https://example.invalid/pixel.png"></body></html>');
    const url = pathToFileURL(leaky).href;
    const requests: string[] = [];
    await context.route('**/*', async (route) => {
      requests.push(route.request().url());
      if (route.request().url() === url) await route.continue();
      else await route.abort();
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(url, { waitUntil: 'load' });
    expect(requests).toEqual([url, 'https://example.invalid/pixel.png']);
    expect(errors.length).toBeGreaterThan(0);
    await page.close();
    await context.unroute('**/*');
  });
});
