// Value formatting as .NET's DataContractSerializer writes it.

/**
 * A double as .NET writes it ("R" format): shortest round-trip digits, scientific notation with a signed,
 * at-least-two-digit exponent when the decimal exponent is below -4 or 17 and above
 * (`-4.9194160965271294E-05`, `0.0167836925`, `3.9923136094518787E+21`, `1E-06`).
 */
export function dnDouble(value: number): string {
  if (value === 0) return '0';
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'INF' : '-INF';
  const exp = Math.floor(Math.log10(Math.abs(value)));
  if (exp >= -4 && exp < 17) {
    const plain = String(value);
    if (!plain.includes('e')) return plain;
    return value.toFixed(Math.max(0, -exp + 16)).replace(/\.?0+$/, '');
  }
  const [mantissa, e] = value.toExponential().split('e');
  const n = Number(e);
  return `${mantissa.toUpperCase()}E${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
}

/** A .NET `float` (single precision, as `PixelWidthHeight` and atlas sizes are written): 7–9 significant digits. */
export function dnSingle(value: number): string {
  return dnDouble(Number(Math.fround(value).toPrecision(9)));
}

/** `2024-04-05T11:36:47.2285448Z`-style timestamp with 7 fractional digits; `offsetMinutes` gives `+01:00`. */
export function dnDateTime(epochMs: number, offsetMinutes = 0, ticks = 0): string {
  const local = new Date(epochMs + offsetMinutes * 60_000);
  const iso = local.toISOString(); // 2024-04-05T11:36:47.228Z
  const fraction = iso.slice(20, 23) + String(ticks % 10_000).padStart(4, '0');
  const zone =
    offsetMinutes === 0
      ? '+00:00'
      : `${offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0')}:${String(Math.abs(offsetMinutes) % 60).padStart(2, '0')}`;
  return `${iso.slice(0, 19)}.${fraction}${zone}`;
}

/** The same instant in UTC with a `Z` suffix (as `EpuSessionXml/StartDateTime`). */
export function dnDateTimeUtc(epochMs: number, ticks = 0): string {
  return dnDateTime(epochMs, 0, ticks).replace('+00:00', 'Z');
}

/** `YYYYMMDD_HHMMSS` as EPU puts acquisition times in file names (local time of the microscope PC). */
export function fileStamp(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}_${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

export function xmlEscape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;'));
}

/** Namespace URIs of the DataContract serialisation (`http://schemas.datacontract.org/2004/07/…`). */
export const NS = {
  dc: 'http://schemas.datacontract.org/2004/07/',
  epu: 'http://schemas.datacontract.org/2004/07/Applications.Epu.Persistence',
  common: 'http://schemas.datacontract.org/2004/07/Fei.Applications.Common.Types',
  atlas: 'http://schemas.datacontract.org/2004/07/Applications.SciencesAppsShared.GridAtlas.Persistence',
  atlasDm: 'http://schemas.datacontract.org/2004/07/Applications.SciencesAppsShared.GridAtlas.Datamodel',
  shared: 'http://schemas.datacontract.org/2004/07/Fei.SharedObjects',
  types: 'http://schemas.datacontract.org/2004/07/Fei.Types',
  drawing: 'http://schemas.datacontract.org/2004/07/System.Drawing',
  generic: 'http://schemas.datacontract.org/2004/07/System.Collections.Generic',
  arrays: 'http://schemas.microsoft.com/2003/10/Serialization/Arrays',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  ser: 'http://schemas.microsoft.com/2003/10/Serialization/',
  xsd: 'http://www.w3.org/2001/XMLSchema',
} as const;

/** `<Id xmlns="…Fei.Applications.Common.Types">n</Id>`, the base-class member every persisted object starts with. */
export function commonId(id: number | string): string {
  return `<Id xmlns="${NS.common}">${id}</Id>`;
}

/** The `z:Type`/`z:Assembly` strings of the generic collections EPU serialises (assembly-qualified .NET names). */
export const MSCORLIB = 'mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089';
export const INT32_COMPARER = `System.Collections.Generic.GenericEqualityComparer\`1[[System.Int32, ${MSCORLIB}]]`;

/** Allocates the `z:Id` object-reference numbers of one document, in document order. */
export class RefIds {
  private n = 0;
  next(): number {
    return ++this.n;
  }
}
