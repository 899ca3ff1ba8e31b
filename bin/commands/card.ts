/**
 * `cancuoc card new --out FILE` makes a blank card image; `cancuoc card serve --image FILE
 * [--port N] [--host H]` puts the virtual chip (src/card/chip.ts) in the vsmartcard vpcd reader
 * of pcscd ("Virtual PCD 00 00" on port 35963), saving the image as it is personalized.
 * SIGINT / SIGTERM close the vpcd connection — pcscd sees the card removed — save, and exit 0.
 * `card serve --hopper DIR [--cards N] [--port N]` feeds blank cards one after another
 * (src/card/hopper.ts) into one vpcd reader; a line with two stations runs one hopper per port.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CardHopper } from '../../src/card/hopper.js';
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
    .option('--image <file>', 'card image made by `cancuoc card new`')
    .option('--hopper <dir>', 'a card feeder: blank cards one after another; a locked card the terminal released is ejected (src/card/hopper.ts)')
    .option('--cards <n>', 'with --hopper: stop after ejecting this many cards')
    .option('--port <n>', 'vpcd port (35963 = "Virtual PCD 00 00", 35964 = "Virtual PCD 00 01"); one hopper per reader', String(VPCD_DEFAULT_PORT))
    .option('--host <h>', 'host where pcscd runs', '127.0.0.1')
    .action(async (opts: { image?: string; hopper?: string; cards?: string; port: string; host: string }) => {
      if ((opts.image === undefined) === (opts.hopper === undefined)) {
        throw new CliError(EXIT.badInput, 'CLI_CARD_SOURCE', 'give exactly one of --image and --hopper');
      }
      if (opts.hopper !== undefined) return serveHopper(opts.hopper, opts.cards, opts.host, port(opts.port));
      if (opts.cards !== undefined) throw new CliError(EXIT.badInput, 'CLI_CARDS', '--cards goes with --hopper');
      const image = opts.image!;
      const store = new ImageFile(image, { onError: (e) => process.stderr.write(`cancuoc: saving the card image failed: ${String(e)}\n`) });
      const chip = new VirtualChip(loadImage(image), { persistence: store });
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

/** `card serve --hopper DIR [--cards N]`: one line per card in and out; exits 0 when done or on SIGINT / SIGTERM. */
async function serveHopper(dir: string, cards: string | undefined, host: string, vpcdPort: number): Promise<void> {
  const limit = cards === undefined ? undefined : Number(cards);
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) throw new CliError(EXIT.badInput, 'CLI_CARDS', `--cards ${cards}: expected a positive whole number`);
  let hopper: CardHopper;
  try {
    hopper = await CardHopper.start({
      dir,
      host,
      port: vpcdPort,
      ...(limit === undefined ? {} : { cards: limit }),
      onEvent: (e) => process.stdout.write(`${e.kind} ${path.basename(e.file)} (card ${e.serial})${e.kind === 'ejected' ? `, ${e.ejected} ejected` : ''}\n`),
      onError: (e) => process.stderr.write(`cancuoc: hopper: ${e instanceof Error ? e.message : String(e)}\n`),
    });
  } catch (e) {
    if (e instanceof VpcdError) throw new CliError(EXIT.noCard, e.code, `${e.message}: is pcscd running with the vpcd driver?`, e);
    throw e;
  }
  const stop = (): void => void hopper.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await hopper.done;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  process.stdout.write(`hopper stopped: ${hopper.ejected} card(s) ejected, images in ${dir}\n`);
}
