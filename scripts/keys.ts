/**
 * npm run keys -- <command>: API keys in the server's database, from the
 * command line (the first admin key is made here: /keys itself needs one).
 *   create --name <name> --scopes read,write[,admin]   prints the token, once
 *   list                                               the keys, without tokens
 *   revoke <id>                                        stops the key at once
 * The database is the server's, read from the same variables: the PostgreSQL
 * one RECKON_DATABASE_URL names, else the SQLite file of RECKON_DB. Safe while
 * servers run (WAL on SQLite; every replica on PostgreSQL sees a new or
 * revoked key on its next request).
 */
import { parseArgs } from 'node:util'
import { type Config, type Scope, loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/client.js'
import { openPostgres } from '../src/db/pg/client.js'
import { PostgresSql } from '../src/db/pg/sql.js'
import { type Sql, SqliteSql } from '../src/db/sql.js'
import { ProblemError } from '../src/errors.js'
import { SCOPES } from '../src/config.js'
import { createKeysRepository } from '../src/repositories/keys-repository.js'
import { isEntryPoint } from './entry-point.js'

const USAGE = `usage: npm run keys -- create --name <name> --scopes read,write[,admin]
       npm run keys -- list
       npm run keys -- revoke <id>`

export class UsageError extends Error {}

function scopesOf(text: string | undefined): Scope[] {
  if (!text) throw new UsageError('--scopes is required (read, write, admin; comma-separated)')
  const scopes = text.split(',').map((s) => s.trim())
  for (const scope of scopes) {
    if (!(SCOPES as readonly string[]).includes(scope)) throw new UsageError(`unknown scope "${scope}" (use ${SCOPES.join(', ')})`)
  }
  return scopes as Scope[]
}

/** The database as the server opens it (src/app.ts): migrated, or refused when a newer Reckon migrated it. */
async function openStore(store: StoreConfig): Promise<Sql> {
  if (store.databaseUrl === undefined) return new SqliteSql(openDatabase(store.dbPath))
  // One connection is all a command needs.
  return new PostgresSql((await openPostgres(store.databaseUrl, { poolSize: 1 })).pool)
}

/** Where the keys are: loadConfig's `dbPath` and `databaseUrl`. */
export type StoreConfig = Pick<Config, 'dbPath' | 'databaseUrl'>

/** Runs one command against the database of `store`; returns what to print. */
export async function runKeys(argv: readonly string[], store: StoreConfig): Promise<string> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { name: { type: 'string' }, scopes: { type: 'string' } },
  })
  const [command, ...rest] = positionals
  const sql = await openStore(store)
  try {
    const keys = createKeysRepository(sql)
    switch (command) {
      case 'create': {
        const name = values.name?.trim()
        if (!name) throw new UsageError('--name is required')
        const key = await keys.create(name, scopesOf(values.scopes))
        return [
          `created key ${key.id} "${key.name}" (${key.scopes.join(', ')})`,
          `token: ${key.token}`,
          'Keep the token now: it is stored only as a digest and cannot be shown again.',
        ].join('\n')
      }
      case 'list': {
        const list = await keys.list()
        if (list.length === 0) return 'no keys'
        return list
          .map(
            (k) =>
              `${k.id}  ${k.prefix}…  ${k.scopes.join(',').padEnd(16)}  ${k.revoked_at ? `revoked ${k.revoked_at}` : 'active'}  ${k.name}`,
          )
          .join('\n')
      }
      case 'revoke': {
        const id = rest[0]
        if (!id) throw new UsageError('revoke needs the key id (see: npm run keys -- list)')
        const key = await keys.revoke(id)
        return `revoked key ${key.id} "${key.name}" at ${key.revoked_at ?? ''}`
      }
      default:
        throw new UsageError(command ? `unknown command "${command}"` : 'a command is required')
    }
  } finally {
    await sql.close()
  }
}

if (isEntryPoint(import.meta.url)) {
  try {
    console.log(await runKeys(process.argv.slice(2), loadConfig()))
  } catch (err) {
    if (err instanceof UsageError) console.error(`${err.message}\n${USAGE}`)
    else console.error(err instanceof ProblemError || err instanceof Error ? err.message : String(err))
    process.exit(err instanceof UsageError ? 2 : 1)
  }
}
