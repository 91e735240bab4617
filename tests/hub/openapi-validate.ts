/**
 * A small JSON Schema (2020-12 subset) validator for the OpenAPI document's
 * response schemas: type (with "null" and "integer"), properties, required,
 * additionalProperties, items, enum, minimum/maximum, pattern, minLength,
 * maxLength, oneOf and local $ref. Enough for every keyword
 * hub/api/openapi.yaml uses; an unknown keyword fails loudly so the document
 * cannot outgrow the checker unnoticed.
 */
type Schema = Record<string, unknown>

const KNOWN = new Set(['type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'minimum', 'maximum', 'pattern', 'minLength', 'maxLength', 'oneOf', '$ref', 'description', 'default'])

function typeOf(v: unknown): string[] {
  if (v === null) return ['null']
  if (Array.isArray(v)) return ['array']
  if (typeof v === 'number') return Number.isInteger(v) ? ['integer', 'number'] : ['number']
  return [typeof v]
}

export function validate(doc: Schema, schema: Schema, value: unknown, path = '$'): string[] {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) return [`${path}: validator does not know keyword ${k}`]
  if (typeof schema.$ref === 'string') {
    const target = schema.$ref.replace(/^#\//, '').split('/').reduce<unknown>((o, p) => (o as Schema)[p], doc) as Schema
    return validate(doc, target, value, path)
  }
  const errors: string[] = []
  if (schema.type !== undefined) {
    const types = ([] as string[]).concat(schema.type as string | string[])
    if (!typeOf(value).some((t) => types.includes(t))) return [`${path}: ${JSON.stringify(value)?.slice(0, 60)} is not ${types.join('|')}`]
  }
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) errors.push(`${path}: ${JSON.stringify(value)} not in enum`)
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: ${value} < ${schema.minimum}`)
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: ${value} > ${schema.maximum}`)
  }
  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) errors.push(`${path}: "${value}" does not match ${schema.pattern}`)
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) errors.push(`${path}: too short`)
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) errors.push(`${path}: too long`)
  }
  if (schema.oneOf) {
    const passing = (schema.oneOf as Schema[]).filter((s) => validate(doc, s, value, path).length === 0).length
    if (passing !== 1) errors.push(`${path}: matches ${passing} of oneOf`)
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => errors.push(...validate(doc, schema.items as Schema, v, `${path}[${i}]`)))
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>
    const props = (schema.properties ?? {}) as Record<string, Schema>
    for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) errors.push(`${path}: missing ${r}`)
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errors.push(...validate(doc, props[k], v, `${path}.${k}`))
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected property ${k}`)
      else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') errors.push(...validate(doc, schema.additionalProperties as Schema, v, `${path}.${k}`))
    }
  }
  return errors
}

/** The JSON schema of one documented response, or an error when the document does not describe it. */
export function responseSchema(doc: Schema, path: string, method: string, status: number): Schema {
  const op = ((doc.paths as Schema)[path] as Schema | undefined)?.[method] as Schema | undefined
  if (!op) throw new Error(`OpenAPI has no ${method.toUpperCase()} ${path}`)
  let resp = (op.responses as Schema)[String(status)] as Schema | undefined
  if (!resp) throw new Error(`OpenAPI has no ${status} for ${method.toUpperCase()} ${path}`)
  if (typeof resp.$ref === 'string') resp = resp.$ref.replace(/^#\//, '').split('/').reduce<unknown>((o, p) => (o as Schema)[p], doc) as Schema
  const content = resp.content as Record<string, { schema: Schema }>
  return content['application/json']?.schema ?? Object.values(content)[0]!.schema
}
