/** API keys (contract §13). */
import { z } from 'zod'
import { SCOPES } from '../config.js'
import { choice } from './choice.js'
import { Name } from './common.js'

export const ScopeName = z
  .enum(SCOPES)
  .meta({ description: 'read: every GET; write: every write (and read); admin: /keys (and all else).' })

export const KeyCreate = z
  .strictObject({
    name: Name.meta({ description: 'Who or what the key is for (a desk, a script, a dashboard).', example: 'data desk' }),
    scopes: z
      .array(choice(SCOPES, 'read: every GET; write: every write (and read); admin: /keys (and all else).'))
      .min(1, 'must name at least one scope')
      .max(3)
      .refine((s) => new Set(s).size === s.length, 'must not repeat a scope')
      .meta({ example: ['read', 'write'] }),
  })
  .meta({ id: 'KeyCreate' })

export const Key = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(ScopeName),
    prefix: z.string().meta({ description: "The token's first characters, to tell keys apart; never the token." }),
    origin: z
      .enum(['api', 'environment'])
      .meta({ description: 'api: made by POST /keys or `npm run keys`; environment: from RECKON_API_KEYS (revoked there).' }),
    created_at: z.string().nullable(),
    revoked_at: z.string().nullable().meta({ description: 'When it was revoked; null while it works.' }),
  })
  .meta({ id: 'Key' })

export const KeyCreated = Key.extend({
  token: z
    .string()
    .meta({ description: 'The secret, shown this once: send it as `Authorization: Bearer <token>`. Only its SHA-256 digest is kept.' }),
}).meta({ id: 'KeyCreated' })
