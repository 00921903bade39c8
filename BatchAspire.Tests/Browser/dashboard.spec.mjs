// The dashboard in real headless Chromium, as a person uses it. Run by BatchAspire.Tests/Dashboard/DashboardBrowserTests.cs:
//   node dashboard.spec.mjs <api-url> [screenshot.png]
// The Api must serve sim-* (fast) and slow-* (slow simulator) models on an empty key prefix.
// Prints one line per step and a closing 'N passed, N failed'; exits non-zero on the first failure.
import { chromium } from 'playwright-core';

const [, , baseUrl, screenshot] = process.argv;
if (!baseUrl) {
  console.error('usage: node dashboard.spec.mjs <api-url> [screenshot.png]');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let passed = 0;
const step = async (name, fn) => {
  const started = Date.now();
  await fn();
  passed++;
  console.log(`ok - ${name} (${Date.now() - started} ms)`);
};

const errors = [];
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  await step('an empty dashboard shows how to submit a job', async () => {
    await page.goto(baseUrl);
    await page.getByRole('heading', { name: 'No jobs yet' }).waitFor();
    const example = await page.locator('pre code').innerText();
    if (!example.includes('curl') || !example.includes('/api/jobs')) throw new Error('no curl example: ' + example);
  });

  let sampleId;
  await step('the sample button submits a job and its progress reaches 100%', async () => {
    await page.getByRole('button', { name: 'Run a sample batch on the simulator' }).click();
    await page.waitForURL(/#\/jobs\/job_[0-9a-f]+$/);
    sampleId = page.url().split('/').pop();
    await page.locator('#job-progress[aria-valuenow="100"]').waitFor({ timeout: 60_000 });
    await page.locator('#job-status .badge', { hasText: 'completed' }).waitFor();
    const text = await page.locator('#progress-text').innerText();
    if (!text.includes('200 of 200')) throw new Error('progress text: ' + text);
  });

  await step('the job page shows latency percentiles, tokens and recent items', async () => {
    await page.locator('#recent table tbody tr').first().waitFor();
    await page.waitForFunction(() => /\d+ ms \/ \d+ ms \/ \d+ ms/.test(document.getElementById('fig-latency')?.textContent ?? ''));
    const tokens = await page.locator('#fig-tokens').innerText();
    if (!/^[1-9][\d,]* \/ [1-9]/.test(tokens)) throw new Error('tokens: ' + tokens);
    await page.locator('svg.chart').waitFor();
    if (screenshot) await page.screenshot({ path: screenshot });
  });

  await step('an item opens its attempt timeline', async () => {
    const link = page.locator('#recent table tbody tr a').first();
    const customId = await link.innerText();
    await link.click();
    await page.getByRole('heading', { name: `Item ${customId}` }).waitFor();
    await page.getByRole('heading', { name: 'Attempt timeline' }).waitFor();
    const row = await page.locator('.timeline li').first().innerText();
    if (!row.includes('HTTP 200') || !row.includes('success')) throw new Error('timeline row: ' + row);
  });

  await step('the jobs list shows the finished job and filters by status', async () => {
    await page.getByRole('link', { name: '← Job' }).click();
    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.getByRole('link', { name: sampleId }).waitFor();
    await page.getByLabel('Status').selectOption('cancelled');
    await page.getByText('No cancelled jobs.').waitFor();
    await page.getByLabel('Status').selectOption('');
  });

  await step('a running job can be cancelled from its page', async () => {
    const slow = await page.evaluate(async () => {
      const items = Array.from({ length: 40 }, (_, i) => ({ custom_id: `slow-${i}`, body: { messages: [{ role: 'user', content: 'wait' }] } }));
      const r = await fetch('/api/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'slow-1', items }) });
      return (await r.json()).id;
    });
    await page.goto(`${baseUrl}#/jobs/${slow}`);
    await page.locator('#job-status .badge', { hasText: 'in progress' }).waitFor();
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.locator('#job-status .badge', { hasText: 'cancelled' }).waitFor({ timeout: 60_000 });
    if (!(await page.getByRole('button', { name: 'Cancel job' }).isDisabled())) throw new Error('cancel button still enabled');
  });

  if (errors.length) throw new Error('browser errors: ' + errors.join(' | '));
  console.log(`${passed} passed, 0 failed`);
} catch (e) {
  console.log(`not ok - ${e.message}`);
  console.log(`${passed} passed, 1 failed`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
