// Small JPEG previews (the `.jpg` EPU writes beside every image manifest): a baseline greyscale JPEG whose 8×8
// blocks are flat, so only DC coefficients are coded. A few hundred bytes each, valid for any decoder.

// Standard luminance DC Huffman table (ITU T.81 Annex K.3): code lengths per category 0..11.
const DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
const DC_CODES = buildCodes(DC_BITS);

function buildCodes(bits: number[]): { code: number; length: number }[] {
  const codes: { code: number; length: number }[] = [];
  let code = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < bits[len - 1]; i++) codes.push({ code: code++, length: len });
    code <<= 1;
  }
  return codes;
}

class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private n = 0;
  write(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >> i) & 1);
      if (++this.n === 8) this.flushByte();
    }
  }
  private flushByte(): void {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0); // byte stuffing
    this.acc = 0;
    this.n = 0;
  }
  finish(): number[] {
    while (this.n !== 0) this.write(1, 1);
    return this.bytes;
  }
}

/**
 * Encodes a `blocksX × blocksY` mosaic of flat 8×8 blocks; `shade(bx, by)` gives each block's grey level 0..255.
 */
export function flatBlockJpeg(blocksX: number, blocksY: number, shade: (bx: number, by: number) => number): Buffer {
  const width = blocksX * 8;
  const height = blocksY * 8;
  const bits = new BitWriter();
  let previous = 0;
  for (let by = 0; by < blocksY; by++) {
    for (let bx = 0; bx < blocksX; bx++) {
      // With every quantiser 8, a flat block of level p has quantised DC p - 128.
      const dc = Math.max(-128, Math.min(127, Math.round(shade(bx, by)) - 128));
      const diff = dc - previous;
      previous = dc;
      const magnitude = Math.abs(diff);
      const category = magnitude === 0 ? 0 : Math.floor(Math.log2(magnitude)) + 1;
      const { code, length } = DC_CODES[category];
      bits.write(code, length);
      if (category > 0) bits.write(diff > 0 ? diff : diff + (1 << category) - 1, category);
      bits.write(0, 1); // AC: end of block (the AC table's only code)
    }
  }
  const header = [
    0xff,
    0xd8, // SOI
    0xff,
    0xe0,
    0x00,
    0x10,
    0x4a,
    0x46,
    0x49,
    0x46,
    0x00,
    0x01,
    0x01,
    0x00,
    0x00,
    0x01,
    0x00,
    0x01,
    0x00,
    0x00, // APP0 JFIF
    0xff,
    0xdb,
    0x00,
    0x43,
    0x00,
    ...new Array<number>(64).fill(8), // DQT
    0xff,
    0xc0,
    0x00,
    0x0b,
    0x08,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    0x01,
    0x01,
    0x11,
    0x00, // SOF0
    0xff,
    0xc4,
    0x00,
    0x1f,
    0x00,
    ...DC_BITS,
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11, // DHT DC
    0xff,
    0xc4,
    0x00,
    0x14,
    0x10,
    1,
    ...new Array<number>(15).fill(0),
    0x00, // DHT AC: one 1-bit code, EOB
    0xff,
    0xda,
    0x00,
    0x08,
    0x01,
    0x01,
    0x00,
    0x00,
    0x3f,
    0x00, // SOS
  ];
  return Buffer.from([...header, ...bits.finish(), 0xff, 0xd9]);
}

const previews = new Map<number, Buffer>();

/** A preview whose shading follows `level` (0..1) with a soft radial falloff, like a hole or square image. */
export function previewJpeg(level: number, variant: number): Buffer {
  const key = Math.round(level * 100) * 16 + (variant % 9);
  let jpeg = previews.get(key);
  if (!jpeg) {
    jpeg = renderPreview(Math.round(level * 100) / 100, variant % 9);
    previews.set(key, jpeg);
  }
  return jpeg;
}

function renderPreview(level: number, variant: number): Buffer {
  const base = 60 + level * 150;
  return flatBlockJpeg(8, 6, (bx, by) => {
    const d = Math.hypot(bx - 3.5, by - 2.5) / 4.3;
    return base * (1 - 0.35 * d * d) + ((bx * 7 + by * 13 + variant) % 9) - 4;
  });
}
