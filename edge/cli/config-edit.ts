/**
 * Edits of the edge config as a YAML Document (the `yaml` package), so the
 * technician's comments, key order and quoting survive. Pure: text in, the
 * same document changed; the file is read and written by config-file.ts.
 */
import { isMap, isScalar, isSeq, type Document, type YAMLMap, type YAMLSeq } from 'yaml'
import type { DeviceEntry } from '../config/provision.js'
import { CliError, EXIT } from '../../common/cli/exit.js'

/** The top-level list `key`, created (block style) when the file has none yet. */
function topList(doc: Document, key: string): YAMLSeq {
  const node = doc.get(key, true)
  // Absent, or a bare `devices:` (null).
  if (node === undefined || (isScalar(node) && node.value === null)) {
    const list = doc.createNode([]) as YAMLSeq
    list.flow = false
    doc.set(key, list)
    return list
  }
  if (!isSeq(node)) throw new CliError(EXIT.CONFIG, `${key}: expected a list`)
  // `devices: []` would otherwise grow into a one-line flow list.
  if (node.items.length === 0) node.flow = false
  return node
}

const idOf = (item: unknown): unknown => (isMap(item) ? item.get('id') : undefined)

/** Appends a device to `devices:`; refuses an id that is already there. */
export function addDevice(doc: Document, entry: DeviceEntry): void {
  const devices = topList(doc, 'devices')
  if (devices.items.some((item) => idOf(item) === entry.id))
    throw new CliError(EXIT.DATA, `device "${entry.id}" is already there; pick another id, or remove its entry first to give it a new secret`)
  devices.add(doc.createNode({ ...entry }))
}

/** Sets `pinHash` of one officer; says whether it replaced an earlier PIN. */
export function setOfficerPinHash(doc: Document, officerId: string, pinHash: string): { replaced: boolean } {
  const officer = findOfficer(doc, officerId)
  const replaced = officer.has('pinHash')
  officer.set('pinHash', pinHash)
  return { replaced }
}

export function findOfficer(doc: Document, officerId: string): YAMLMap {
  const officers = doc.get('officers', true)
  const items = isSeq(officers) ? officers.items : []
  const officer = items.find((item) => idOf(item) === officerId)
  if (!isMap(officer)) {
    const known = items.map(idOf).filter((id): id is string => typeof id === 'string')
    throw new CliError(EXIT.DATA, `no officer "${officerId}"; ${known.length ? `its officers are ${known.join(', ')}` : 'it lists no officers'}`)
  }
  return officer
}
