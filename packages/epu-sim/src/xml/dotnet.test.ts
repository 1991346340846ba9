import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dnDateTime, dnDateTimeUtc, dnDouble, fileStamp } from './dotnet.ts';
import { flatBlockJpeg } from '../jpeg.ts';

test('doubles are written as .NET writes them (values seen in real EPU files)', () => {
  assert.equal(dnDouble(-4.9194160965271294e-5), '-4.9194160965271294E-05');
  assert.equal(dnDouble(0.0167836925), '0.0167836925');
  assert.equal(dnDouble(1e-6), '1E-06');
  assert.equal(dnDouble(-0.00025), '-0.00025');
  assert.equal(dnDouble(165000), '165000');
  assert.equal(dnDouble(15651662239374962), '15651662239374962');
  assert.equal(dnDouble(3.9923136094518787e21), '3.992313609451879E+21');
  assert.equal(dnDouble(0), '0');
});

test('timestamps carry 7 fractional digits and the zone; file stamps are YYYYMMDD_HHMMSS', () => {
  const t = Date.UTC(2024, 3, 5, 11, 36, 47, 228);
  assert.equal(dnDateTimeUtc(t, 5448), '2024-04-05T11:36:47.2285448Z');
  assert.equal(dnDateTime(t, 60, 5448), '2024-04-05T12:36:47.2285448+01:00');
  assert.equal(fileStamp(t), '20240405_113647');
});

test('previews are baseline JPEGs: SOI, JFIF, SOF0 with the size, EOI', () => {
  const jpeg = flatBlockJpeg(8, 6, (x, y) => 40 + x * 20 + y);
  assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8]);
  assert.equal(jpeg.subarray(6, 10).toString('latin1'), 'JFIF');
  const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  assert.ok(sof > 0);
  assert.equal(jpeg.readUInt16BE(sof + 5), 48);
  assert.equal(jpeg.readUInt16BE(sof + 7), 64);
  assert.deepEqual([...jpeg.subarray(-2)], [0xff, 0xd9]);
  const data = jpeg.subarray(jpeg.indexOf(Buffer.from([0xff, 0xda])) + 10, -2);
  for (let i = 0; i < data.length - 1; i++) if (data[i] === 0xff) assert.equal(data[i + 1], 0, '0xFF is byte-stuffed in entropy data');
});
