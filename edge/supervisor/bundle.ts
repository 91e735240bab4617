/** The supervisor page's browser code, prebuilt by npm run build or bundled in memory at edge start (common/web/assets.ts). */
import { bundleScript, type WebAsset } from '../../common/web/assets.js'

export type PageAsset = WebAsset

/** File name of the bundle in the production build's assets/. */
export const SUPERVISOR_BUNDLE = 'supervisor.js'

export const SUPERVISOR_JS = '/supervisor/app.js'

export function buildSupervisorScript(): Promise<PageAsset> {
  return bundleScript(SUPERVISOR_BUNDLE, new URL('./browser/main.ts', import.meta.url))
}
