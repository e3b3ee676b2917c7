// Audits pages with Lighthouse in one headless Chromium:
//   node audit.mjs OUTDIR CATEGORIES[+AUDITS] URL...
// CATEGORIES is comma-separated (such as accessibility,best-practices,seo); AUDITS, after a +,
// are audits to run besides them (such as cumulative-layout-shift). Writes
// OUTDIR/<n>.report.json for the n-th URL (from 0). The browser is CHROME_PATH, started by
// chrome-launcher with CHROME_FLAGS (space-separated). Lighthouse clears the origin's cache and
// storage before each page, so each is audited as a first visit, as its command line does; the
// full-page screenshot (for the HTML report only) is skipped.
import fs from 'node:fs';
import path from 'node:path';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';

const [outDir, what, ...urls] = process.argv.slice(2);
const [categories, audits] = what.split('+');
const flags = (process.env.CHROME_FLAGS || '').split(' ').filter((f) => f);
const chrome = await chromeLauncher.launch({chromeFlags: flags});
try {
  for (const [i, url] of urls.entries()) {
    const result = await lighthouse(url, {port: chrome.port, output: 'json', logLevel: 'error',
      onlyCategories: categories.split(','), disableFullPageScreenshot: true,
      ...(audits ? {onlyAudits: audits.split(',')} : {})});
    fs.writeFileSync(path.join(outDir, i + '.report.json'), result.report);
  }
} finally {
  await chrome.kill();
}
