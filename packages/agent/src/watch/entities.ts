// The kinds the agent syncs, their order and their parents' uuid fields are the API's (`KINDS`, `KIND_ORDER`,
// `parentsOf` in `@smartem/common`); natural keys and contributions are those of the EPU assembler that `agent parse
// dir` shares (`@smartem/epu`).
export { entityKeys as keys, type Contribution, type EntityFields, type KindFields } from '@smartem/epu';
