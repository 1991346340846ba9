/** Namespace URIs of EPU's .NET DataContract XML. Elements are matched on URI + local name. */
const DC = 'http://schemas.datacontract.org/2004/07/';

export const NS = {
  EPU: `${DC}Applications.Epu.Persistence`,
  COMMON: `${DC}Fei.Applications.Common.Types`,
  ATLAS: `${DC}Applications.SciencesAppsShared.GridAtlas.Persistence`,
  ATLASDM: `${DC}Applications.SciencesAppsShared.GridAtlas.Datamodel`,
  SHARED: `${DC}Fei.SharedObjects`,
  TYPES: `${DC}Fei.Types`,
  DRAW: `${DC}System.Drawing`,
  GEN: `${DC}System.Collections.Generic`,
  ARR: 'http://schemas.microsoft.com/2003/10/Serialization/Arrays',
  XSI: 'http://www.w3.org/2001/XMLSchema-instance',
  NONE: '',
} as const;

export type NsAlias = keyof typeof NS;
