/** The alias index shared by sources and actors: one owner per alias, case-insensitively. */
import { and, eq, inArray, ne } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { aliases } from '../db/schema.js'
import { ConflictError, type FieldError } from '../errors.js'

export type AliasNamespace = 'source' | 'actor'

export function aliasKey(alias: string): string {
  return alias.trim().toLowerCase()
}

/** Throws 409 naming each alias that belongs to another record. */
export function assertAliasesFree(db: Db, namespace: AliasNamespace, ownerId: string, list: string[]): void {
  if (list.length === 0) return
  const keys = list.map(aliasKey)
  const taken = db
    .select()
    .from(aliases)
    .where(and(eq(aliases.namespace, namespace), inArray(aliases.key, keys), ne(aliases.ownerId, ownerId)))
    .all()
  if (taken.length === 0) return
  const owners = new Map(taken.map((row) => [row.key, row.ownerId]))
  const errors: FieldError[] = []
  keys.forEach((key, i) => {
    const owner = owners.get(key)
    if (owner) errors.push({ path: `/aliases/${i}`, in: 'body', message: `alias "${list[i]}" already belongs to ${namespace} "${owner}"` })
  })
  throw new ConflictError(`An alias already belongs to another ${namespace}.`, errors)
}

export function replaceAliases(db: Db, namespace: AliasNamespace, ownerId: string, list: string[]): void {
  db.delete(aliases)
    .where(and(eq(aliases.namespace, namespace), eq(aliases.ownerId, ownerId)))
    .run()
  if (list.length > 0) {
    db.insert(aliases)
      .values(list.map((a) => ({ namespace, key: aliasKey(a), ownerId })))
      .run()
  }
}

export function ownerOfAlias(db: Db, namespace: AliasNamespace, alias: string): string | null {
  const row = db
    .select({ ownerId: aliases.ownerId })
    .from(aliases)
    .where(and(eq(aliases.namespace, namespace), eq(aliases.key, aliasKey(alias))))
    .get()
  return row?.ownerId ?? null
}
