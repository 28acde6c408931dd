/** `npm run openapi`: writes the OpenAPI document the code generates to openapi/openapi.json. */
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { generateOpenApi } from '../src/openapi.js'

const target = fileURLToPath(new URL('../openapi/openapi.json', import.meta.url))
writeFileSync(target, await generateOpenApi())
console.log(`wrote ${target}`)
