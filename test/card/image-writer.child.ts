/**
 * Child process for the kill-safety test: saves two different card images in turn, forever,
 * until the parent kills it with SIGKILL at a random moment.
 */
import { blankImage, saveImage, type ChipImage } from '../../src/card/image.js';

const [file] = process.argv.slice(2);
const images: ChipImage[] = ['A', 'B'].map((tag, i) => ({
  ...blankImage(Uint8Array.of(i + 1, 2, 3, 4, 5, 6, 7, 8)),
  files: new Map([[0x0102, new Uint8Array(400_000).fill(tag.charCodeAt(0))]]),
}));
process.stdout.write('ready\n');
for (let i = 0; ; i++) saveImage(file!, images[i % 2]!);
