import type { CameraIdentity } from '../types.js'
import { NS } from './envelope.js'
import { escapeXml as x } from './xml.js'

/** Where each service answers; all on the camera's one HTTP port, as most cameras do. */
export interface ServiceAddrs {
  device: string
  media: string
  events: string
}

/** Vietnam (ICT, UTC+7, no daylight saving) in POSIX TZ form, as a camera installed there reports it. */
const TZ = 'ICT-7'
const TZ_OFFSET_MS = 7 * 3600_000

function dateTime(ms: number): string {
  const d = new Date(ms)
  return `<tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time>` +
    `<tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date>`
}

/** ONVIF Core 8.3.3 GetSystemDateAndTime; `cameraMs` is the camera's own (possibly skewed) clock. */
export function systemDateAndTime(cameraMs: number): string {
  return '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>' +
    '<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>' +
    `<tt:TimeZone><tt:TZ>${TZ}</tt:TZ></tt:TimeZone>` +
    `<tt:UTCDateTime>${dateTime(cameraMs)}</tt:UTCDateTime>` +
    `<tt:LocalDateTime>${dateTime(cameraMs + TZ_OFFSET_MS)}</tt:LocalDateTime>` +
    '</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>'
}

export function deviceInformation(id: CameraIdentity): string {
  return '<tds:GetDeviceInformationResponse>' +
    `<tds:Manufacturer>${x(id.manufacturer)}</tds:Manufacturer><tds:Model>${x(id.model)}</tds:Model>` +
    `<tds:FirmwareVersion>${x(id.firmwareVersion)}</tds:FirmwareVersion><tds:SerialNumber>${x(id.serialNumber)}</tds:SerialNumber>` +
    `<tds:HardwareId>${x(id.hardwareId)}</tds:HardwareId></tds:GetDeviceInformationResponse>`
}

function deviceCaps(addrs: ServiceAddrs): string {
  return `<tt:Device><tt:XAddr>${x(addrs.device)}</tt:XAddr>` +
    '<tt:Network><tt:IPFilter>false</tt:IPFilter><tt:ZeroConfiguration>false</tt:ZeroConfiguration><tt:IPVersion6>false</tt:IPVersion6><tt:DynDNS>false</tt:DynDNS></tt:Network>' +
    '<tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>false</tt:DiscoveryBye><tt:RemoteDiscovery>false</tt:RemoteDiscovery>' +
    '<tt:SystemBackup>false</tt:SystemBackup><tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>' +
    '<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tt:SupportedVersions></tt:System>' +
    '<tt:IO><tt:InputConnectors>0</tt:InputConnectors><tt:RelayOutputs>0</tt:RelayOutputs></tt:IO>' +
    '<tt:Security><tt:TLS1.1>false</tt:TLS1.1><tt:TLS1.2>false</tt:TLS1.2><tt:OnboardKeyGeneration>false</tt:OnboardKeyGeneration>' +
    '<tt:AccessPolicyConfig>false</tt:AccessPolicyConfig><tt:X.509Token>false</tt:X.509Token><tt:SAMLToken>false</tt:SAMLToken>' +
    '<tt:KerberosToken>false</tt:KerberosToken><tt:RELToken>false</tt:RELToken></tt:Security></tt:Device>'
}

function eventsCaps(addrs: ServiceAddrs): string {
  return `<tt:Events><tt:XAddr>${x(addrs.events)}</tt:XAddr><tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>` +
    '<tt:WSPullPointSupport>true</tt:WSPullPointSupport><tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>'
}

function mediaCaps(addrs: ServiceAddrs): string {
  return `<tt:Media><tt:XAddr>${x(addrs.media)}</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>` +
    '<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>'
}

/** ONVIF Core 8.1.2.3 GetCapabilities; Category selects one group, All or absent gives every group we have. */
export function capabilities(addrs: ServiceAddrs, category: string | undefined): string {
  const parts: Record<string, string> = { Device: deviceCaps(addrs), Events: eventsCaps(addrs), Media: mediaCaps(addrs) }
  const chosen = !category || category === 'All' ? Object.values(parts).join('') : parts[category]
  return `<tds:GetCapabilitiesResponse><tds:Capabilities>${chosen ?? ''}</tds:Capabilities></tds:GetCapabilitiesResponse>`
}

/** True when GetCapabilities asks for a category this camera has no service for (the caller faults). */
export function hasCapabilityCategory(category: string | undefined): boolean {
  return !category || ['All', 'Device', 'Events', 'Media'].includes(category)
}

export function deviceServiceCapabilities(): string {
  return '<tds:Capabilities><tds:Network IPFilter="false" ZeroConfiguration="false" IPVersion6="false" DynDNS="false" NTP="1" HostnameFromDHCP="false"/>' +
    '<tds:Security TLS1.0="false" TLS1.1="false" TLS1.2="false" OnboardKeyGeneration="false" AccessPolicyConfig="false" DefaultAccessPolicy="false" Dot1X="false" RemoteUserHandling="false" X.509Token="false" SAMLToken="false" KerberosToken="false" UsernameToken="true" HttpDigest="true" RELToken="false"/>' +
    '<tds:System DiscoveryResolve="false" DiscoveryBye="false" RemoteDiscovery="false" SystemBackup="false" SystemLogging="false" FirmwareUpgrade="false" HttpFirmwareUpgrade="false" HttpSystemBackup="false" HttpSystemLogging="false" HttpSupportInformation="false"/>' +
    '</tds:Capabilities>'
}

export function mediaServiceCapabilities(): string {
  return '<trt:Capabilities SnapshotUri="true" Rotation="false" VideoSourceMode="false" OSD="false"><trt:ProfileCapabilities MaximumNumberOfProfiles="1"/>' +
    '<trt:StreamingCapabilities RTPMulticast="false" RTP_TCP="true" RTP_RTSP_TCP="true" NonAggregateControl="false" NoRTSPStreaming="false"/></trt:Capabilities>'
}

export function eventsServiceCapabilities(): string {
  return '<tev:Capabilities WSSubscriptionPolicySupport="false" WSPullPointSupport="true" WSPausableSubscriptionManagerInterfaceSupport="false" MaxNotificationProducers="0" MaxPullPoints="10" PersistentNotificationStorage="false"/>'
}

/** The GetServiceCapabilities answer of one service, wrapped in its own namespace. */
export function serviceCapabilitiesResponse(prefix: 'tds' | 'trt' | 'tev'): string {
  const caps = prefix === 'tds' ? deviceServiceCapabilities() : prefix === 'trt' ? mediaServiceCapabilities() : eventsServiceCapabilities()
  return `<${prefix}:GetServiceCapabilitiesResponse>${caps}</${prefix}:GetServiceCapabilitiesResponse>`
}

/** ONVIF Core 8.1.2.1 GetServices. */
export function services(addrs: ServiceAddrs, includeCapability: boolean): string {
  const one = (ns: string, addr: string, caps: string, minor: number) =>
    `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${x(addr)}</tds:XAddr>` +
    (includeCapability ? `<tds:Capabilities>${caps}</tds:Capabilities>` : '') +
    `<tds:Version><tt:Major>2</tt:Major><tt:Minor>${minor}</tt:Minor></tds:Version></tds:Service>`
  return '<tds:GetServicesResponse>' +
    one(NS.tds, addrs.device, deviceServiceCapabilities(), 60) +
    one(NS.trt, addrs.media, mediaServiceCapabilities(), 60) +
    one(NS.tev, addrs.events, eventsServiceCapabilities(), 60) +
    '</tds:GetServicesResponse>'
}

export function discoveryScopes(id: CameraIdentity): string[] {
  return [
    'onvif://www.onvif.org/type/video_encoder',
    'onvif://www.onvif.org/Profile/Streaming',
    'onvif://www.onvif.org/Profile/S',
    `onvif://www.onvif.org/name/${encodeURIComponent(id.name)}`,
    `onvif://www.onvif.org/hardware/${encodeURIComponent(id.model)}`,
    `onvif://www.onvif.org/location/${encodeURIComponent(id.location)}`,
  ]
}

export function scopes(id: CameraIdentity): string {
  const fixed = new Set(['type', 'Profile'])
  return '<tds:GetScopesResponse>' + discoveryScopes(id).map((s) => {
    const kind = s.split('/')[3] ?? ''
    return `<tds:Scopes><tt:ScopeDef>${fixed.has(kind) ? 'Fixed' : 'Configurable'}</tt:ScopeDef><tt:ScopeItem>${x(s)}</tt:ScopeItem></tds:Scopes>`
  }).join('') + '</tds:GetScopesResponse>'
}

export function hostname(id: CameraIdentity): string {
  const name = id.name.replace(/[^A-Za-z0-9-]/g, '-')
  return `<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP><tt:Name>${x(name)}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>`
}
