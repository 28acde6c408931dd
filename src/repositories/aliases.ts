/** The alias index shared by sources and actors: one owner per alias, case-insensitively. */
import { jsonTexts } from '../db/dialect.js'
import type { Sql } from '../db/sql.js'
import { ConflictError, type FieldError } from '../errors.js'

export type AliasNamespace = 'source' | 'actor'

export function aliasKey(alias: string): string {
  return alias.trim().toLowerCase()
}

/** Throws 409 naming each alias that belongs to another record. */
export async function assertAliasesFree(sql: Sql, namespace: AliasNamespace, ownerId: string, list: string[]): Promise<void> {
  if (list.length === 0) return
  const keys = list.map(aliasKey)
  // One statement for any number of aliases: the keys are bound as a JSON array.
  const taken = await sql.all<{ key: string; owner_id: string }>(
    `SELECT key, owner_id FROM aliases WHERE namespace = ? AND owner_id <> ? AND key IN (${jsonTexts(sql.dialect, '?')})`,
    [namespace, ownerId, JSON.stringify(keys)],
  )
  if (taken.length === 0) return
  const owners = new Map(taken.map((row) => [row.key, row.owner_id]))
  const errors: FieldError[] = []
  keys.forEach((key, i) => {
    const owner = owners.get(key)
    if (owner) errors.push({ path: `/aliases/${i}`, in: 'body', message: `alias "${list[i]}" already belongs to ${namespace} "${owner}"` })
  })
  throw new ConflictError(`An alias already belongs to another ${namespace}.`, errors)
}

export async function replaceAliases(sql: Sql, namespace: AliasNamespace, ownerId: string, list: string[]): Promise<void> {
  await sql.run('DELETE FROM aliases WHERE namespace = ? AND owner_id = ?', [namespace, ownerId])
  for (const alias of list)
    await sql.run('INSERT INTO aliases (namespace, key, owner_id) VALUES (?, ?, ?)', [namespace, aliasKey(alias), ownerId])
}

export async function ownerOfAlias(sql: Sql, namespace: AliasNamespace, alias: string): Promise<string | null> {
  return (await sql.value<string>('SELECT owner_id FROM aliases WHERE namespace = ? AND key = ?', [namespace, aliasKey(alias)])) ?? null
}
