/**
 * `cancuoc card new --out FILE` makes a blank card image; `cancuoc card serve --image FILE
 * [--port N] [--host H]` puts the virtual chip (src/card/chip.ts) in the vsmartcard vpcd reader
 * of pcscd ("Virtual PCD 00 00" on port 35963), saving the image as it is personalized.
 * SIGINT / SIGTERM close the vpcd connection — pcscd sees the card removed — save, and exit 0.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { VirtualChip } from '../../src/card/chip.js';
import { blankImage, ImageFile, loadImage, saveImage } from '../../src/card/image.js';
import { connectVpcd, VPCD_DEFAULT_PORT, VpcdError } from '../../src/card/vpcd.js';
import { hex } from '../../src/lds/bytes.js';
import { CliError, EXIT } from '../exit-codes.js';

function port(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 0xffff) throw new CliError(EXIT.badInput, 'CLI_PORT', `--port ${text}: expected 1..65535`);
  return n;
}

export function registerCard(program: Command): void {
  const card = program.command('card').description('the virtual CCCD chip');

  card
    .command('new')
    .description('make a blank card image (unlocked, no files, a fresh serial number)')
    .requiredOption('--out <file>', 'where to write the image')
    .option('--force', 'replace an existing file')
    .action((opts: { out: string; force?: boolean }) => {
      if (!opts.force && fs.existsSync(opts.out)) {
        throw new CliError(EXIT.badInput, 'CLI_FILE_EXISTS', `${opts.out} exists; use --force to replace it`);
      }
      const image = blankImage();
      saveImage(opts.out, image);
      process.stdout.write(`blank card ${hex(image.serial).toUpperCase()} written to ${opts.out}\n`);
    });

  card
    .command('serve')
    .description('connect the card to the vpcd reader driver of pcscd until Ctrl-C')
    .requiredOption('--image <file>', 'card image made by `cancuoc card new`')
    .option('--port <n>', 'vpcd port (35963 = "Virtual PCD 00 00")', String(VPCD_DEFAULT_PORT))
    .option('--host <h>', 'host where pcscd runs', '127.0.0.1')
    .action(async (opts: { image: string; port: string; host: string }) => {
      const store = new ImageFile(opts.image, { onError: (e) => process.stderr.write(`cancuoc: saving the card image failed: ${String(e)}\n`) });
      const chip = new VirtualChip(loadImage(opts.image), { persistence: store });
      const vpcdPort = port(opts.port);
      let connection;
      try {
        connection = await connectVpcd(chip, { host: opts.host, port: vpcdPort, reconnect: true });
      } catch (e) {
        if (e instanceof VpcdError) throw new CliError(EXIT.noCard, e.code, `${e.message}: is pcscd running with the vpcd driver?`, e);
        throw e;
      }
      const state = chip.locked ? 'locked' : 'unlocked';
      process.stdout.write(`card ${hex(chip.image().serial).toUpperCase()} (${state}) in vpcd at ${opts.host}:${vpcdPort}; Ctrl-C to remove it\n`);
      const stop = (): void => void connection.close();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await connection.closed;
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      store.flush();
      process.stdout.write('card removed, image saved\n');
    });
}
