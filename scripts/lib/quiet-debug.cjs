'use strict'
// The `debug` package as the production build sees it (scripts/build.ts, quietDebug): the real one when DEBUG is
// set at start, else loggers that do nothing. mqtt-packet calls its loggers a dozen times per packet, and the real
// ones build an arguments array on every call even when disabled.
if (process.env.DEBUG) {
  module.exports = require('debug')
} else {
  const off = Object.assign(() => {}, { enabled: false, namespace: '' })
  off.extend = () => off
  module.exports = Object.assign(() => off, { enable() {}, disable: () => '', enabled: () => false })
}
