// Opens the page of `asr serve` in Debian's chromium (headless, a fake
// microphone that plays a recording over and over), presses Start, waits for
// final lines, checks the first against the recording's transcript, presses
// Stop and writes every final line shown into FINALS.txt.
// Usage: node page_test.mjs URL EXPECTED_TEXT SAMPLE.wav FINALS.txt [SCREENSHOT.png]
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { writeFileSync } from "node:fs";

const [url, expected, sample, finalsPath, screenshot] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), "asr-chromium-"));
const fail = (why) => { console.error("FAIL: " + why); process.exitCode = 1; };

const browser = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  viewport: { width: 900, height: 560 },
  args: ["--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
         "--use-fake-device-for-media-stream", "--use-file-for-fake-audio-capture=" + sample,
         "--autoplay-policy=no-user-gesture-required"],
});
try {
  const page = browser.pages()[0] || (await browser.newPage());
  page.on("pageerror", (e) => fail("the page threw: " + e.message));
  await page.goto(url);
  await page.click("#start");
  await page.waitForSelector("#status.live", { timeout: 30000 });
  // The fake microphone plays the file over and over; the first final line
  // is its transcript. The browser resamples the file (to its own rate,
  // e.g. 44.1 kHz), so the words may differ a little from `asr transcribe`
  // of the file: at least half of them must be there, in order. (That the
  // page shows exactly what the server recognised is checked by the caller,
  // on the very samples the server received.)
  const first = page.locator("#finals li.final .text").first();
  await first.waitFor({ timeout: 60000 });
  const got = (await first.textContent()).trim();
  const want = expected.trim().split(" "), words = got.split(" ");
  let common = 0;
  for (let i = 0, j = 0; i < want.length && j < words.length; )
    if (want[i] === words[j]) common++, i++, j++;
    else if (words.indexOf(want[i], j) >= 0) j++;
    else i++;
  if (common * 2 < want.length) fail(`final line '${got}' is not the recording's '${expected}'`);
  await page.locator("#finals li.final").nth(2).waitFor({ timeout: 60000 });
  const time = (await page.locator("#finals li.final .time").first().textContent()).trim();
  if (!/^\d+:\d\d\.\d – \d+:\d\d\.\d$/.test(time)) fail(`final line's times '${time}'`);
  const msg = (await page.locator("#message").textContent()).trim();
  if (msg) fail("an error message on the page: " + msg);
  if (screenshot) {
    // A partial on screen too, as a person sees it mid-sentence.
    await page.waitForFunction(() => document.querySelector("#current .stable, #current .unstable")
                                      && document.querySelector("#current").textContent.trim().length >= 12,
                               null, { timeout: 20000 }).catch(() => {});
    await page.screenshot({ path: screenshot });
  }
  // Stop: the stream ends cleanly, no error shown.
  await page.click("#stop");
  await page.waitForFunction(() => /Stopped/.test(document.querySelector("#status").textContent),
                             null, { timeout: 20000 });
  if ((await page.locator("#message").textContent()).trim()) fail("an error after Stop");
  const finals = await page.locator("#finals li.final .text").allTextContents();
  writeFileSync(finalsPath, finals.map((t) => t.trim() + "\n").join(""));
  if (!process.exitCode) console.log(`ok: '${got}' at ${time}`);
} catch (e) {
  fail(e.message);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
