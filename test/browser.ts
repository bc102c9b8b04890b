import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from '../lib/config';

/**
 * Headless Chromium for page tests: Debian's `chromium` package driven by playwright-core (never a
 * browser downloaded by Playwright). Pages record their console errors and uncaught exceptions.
 */

export const CHROMIUM = '/usr/bin/chromium';
/** A laptop screen. */
export const LAPTOP = { width: 1440, height: 900 };

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)`);
  // --no-sandbox: the tests run as root; --disable-dev-shm-usage: small /dev/shm in containers.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions, as text, in order. */
  errors: string[];
}

export async function openPage(browser: Browser, url: string, viewport = LAPTOP): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (err) => errors.push(`exception: ${err.message}`));
  await page.goto(url);
  return { page, errors };
}

/** Saves a PNG under artifacts/<folder>/ (git-ignored) and returns its path. */
export async function screenshot(page: Page, folder: string, name: string): Promise<string> {
  const file = path.join(REPO_ROOT, 'artifacts', folder, `${name}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file });
  return file;
}
