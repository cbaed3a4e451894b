/** OVSDB values (RFC 7047 §5.1) in a JS-friendly form, with converters to and from the wire. */

export class Uuid {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export class NamedUuid {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
}

export type Atom = string | number | boolean | Uuid | NamedUuid;

export class OvsdbSet {
  readonly items: readonly Atom[];
  constructor(items: Iterable<Atom>) {
    this.items = [...items];
  }
}

export type OvsdbMap = ReadonlyMap<Atom, Atom>;
export type Value = Atom | OvsdbSet | OvsdbMap;
export type Row = Record<string, Value>;

export type WireAtom = string | number | boolean | ['uuid', string] | ['named-uuid', string];
export type WireValue = WireAtom | ['set', WireAtom[]] | ['map', [WireAtom, WireAtom][]];
export type WireRow = Record<string, WireValue>;

/** Any JSON value, as received from the wire. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const uuid = (value: string): Uuid => new Uuid(value);
export const namedUuid = (name: string): NamedUuid => new NamedUuid(name);
export const ovsSet = (...items: Atom[]): OvsdbSet => new OvsdbSet(items);
export const ovsMap = (entries: Record<string, Atom> | Iterable<readonly [Atom, Atom]>): OvsdbMap =>
  new Map(Symbol.iterator in entries ? entries : Object.entries(entries));

export const isUuid = (v: unknown): v is Uuid => v instanceof Uuid;
export const isMapValue = (v: Value | undefined): v is OvsdbMap => v instanceof Map;

export function atomToWire(atom: Atom): WireAtom {
  if (atom instanceof Uuid) return ['uuid', atom.value];
  if (atom instanceof NamedUuid) return ['named-uuid', atom.name];
  return atom;
}

export function valueToWire(value: Value): WireValue {
  if (value instanceof OvsdbSet) return ['set', value.items.map(atomToWire)];
  if (value instanceof Map) return ['map', [...value].map(([k, v]) => [atomToWire(k), atomToWire(v)])];
  return atomToWire(value as Atom);
}

export function rowToWire(row: Row): WireRow {
  const out: WireRow = {};
  for (const [k, v] of Object.entries(row)) out[k] = valueToWire(v);
  return out;
}

export class OvsdbValueError extends Error {
  override name = 'OvsdbValueError';
}

export function atomFromWire(json: Json): Atom {
  if (typeof json === 'string' || typeof json === 'number' || typeof json === 'boolean') return json;
  if (Array.isArray(json) && json.length === 2 && typeof json[1] === 'string') {
    if (json[0] === 'uuid') return new Uuid(json[1]);
    if (json[0] === 'named-uuid') return new NamedUuid(json[1]);
  }
  throw new OvsdbValueError(`not an OVSDB atom: ${JSON.stringify(json)}`);
}

export function valueFromWire(json: Json): Value {
  if (Array.isArray(json) && json.length === 2 && Array.isArray(json[1])) {
    if (json[0] === 'set') return new OvsdbSet(json[1].map(atomFromWire));
    if (json[0] === 'map') {
      const m = new Map<Atom, Atom>();
      for (const pair of json[1]) {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw new OvsdbValueError(`bad OVSDB map pair: ${JSON.stringify(pair)}`);
        }
        m.set(atomFromWire(pair[0] as Json), atomFromWire(pair[1] as Json));
      }
      return m;
    }
  }
  return atomFromWire(json);
}

export function rowFromWire(json: Json): Row {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new OvsdbValueError(`not an OVSDB row: ${JSON.stringify(json)}`);
  }
  const out: Row = {};
  for (const [k, v] of Object.entries(json)) out[k] = valueFromWire(v);
  return out;
}

/** Elements of a set-typed column (a bare atom is a one-element set). */
export function setItems(value: Value | undefined): Atom[] {
  if (value === undefined) return [];
  if (value instanceof OvsdbSet) return [...value.items];
  if (isMapValue(value)) throw new OvsdbValueError('expected a set, got a map');
  return [value];
}

/** A map-typed column as a string record (keys and values stringified). */
export function mapRecord(value: Value | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === undefined) return out;
  if (!(value instanceof Map)) {
    if (value instanceof OvsdbSet && value.items.length === 0) return out;
    throw new OvsdbValueError('expected a map');
  }
  for (const [k, v] of value) out[String(k)] = String(v);
  return out;
}

/** The single atom of an optional column, or undefined when it is the empty set. */
export function optional(value: Value | undefined): Atom | undefined {
  const items = setItems(value);
  return items[0];
}

/** Stable key for comparing atoms (uuids compare by value). */
export function atomKey(atom: Atom): string {
  if (atom instanceof Uuid) return `u:${atom.value}`;
  if (atom instanceof NamedUuid) return `n:${atom.name}`;
  return `${typeof atom}:${String(atom)}`;
}
