import type { StreamSettings } from '../types.js'
import { escapeXml as x } from './xml.js'

/** The one Profile S media profile this camera has (tokens as a typical single-stream camera names them). */
export const PROFILE_TOKEN = 'Profile_1'
export const VIDEO_SOURCE_TOKEN = 'VideoSource_1'
export const VIDEO_SOURCE_CONFIG_TOKEN = 'VideoSourceConfig_1'
export const VIDEO_ENCODER_CONFIG_TOKEN = 'VideoEncoderConfig_1'
export const ANALYTICS_CONFIG_TOKEN = 'VideoAnalyticsConfig_1'

function encoderConfiguration(s: StreamSettings, tag: string): string {
  return `<${tag} token="${VIDEO_ENCODER_CONFIG_TOKEN}"><tt:Name>VideoEncoderConfig</tt:Name><tt:UseCount>1</tt:UseCount>` +
    '<tt:Encoding>H264</tt:Encoding>' +
    `<tt:Resolution><tt:Width>${s.width}</tt:Width><tt:Height>${s.height}</tt:Height></tt:Resolution><tt:Quality>4</tt:Quality>` +
    `<tt:RateControl><tt:FrameRateLimit>${s.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>${s.bitrateKbps}</tt:BitrateLimit></tt:RateControl>` +
    `<tt:H264><tt:GovLength>${s.gop}</tt:GovLength><tt:H264Profile>Baseline</tt:H264Profile></tt:H264>` +
    '<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port><tt:TTL>0</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>' +
    `<tt:SessionTimeout>PT60S</tt:SessionTimeout></${tag}>`
}

function profile(s: StreamSettings, tag: 'trt:Profiles' | 'trt:Profile'): string {
  return `<${tag} token="${PROFILE_TOKEN}" fixed="true"><tt:Name>mainStream</tt:Name>` +
    `<tt:VideoSourceConfiguration token="${VIDEO_SOURCE_CONFIG_TOKEN}"><tt:Name>VideoSourceConfig</tt:Name><tt:UseCount>1</tt:UseCount>` +
    `<tt:SourceToken>${VIDEO_SOURCE_TOKEN}</tt:SourceToken><tt:Bounds x="0" y="0" width="${s.width}" height="${s.height}"/></tt:VideoSourceConfiguration>` +
    encoderConfiguration(s, 'tt:VideoEncoderConfiguration') +
    `<tt:VideoAnalyticsConfiguration token="${ANALYTICS_CONFIG_TOKEN}"><tt:Name>VideoAnalyticsConfig</tt:Name><tt:UseCount>1</tt:UseCount>` +
    '<tt:AnalyticsEngineConfiguration/><tt:RuleEngineConfiguration/></tt:VideoAnalyticsConfiguration>' +
    `</${tag}>`
}

/** ONVIF Media 5.2.1 GetProfiles. */
export function profiles(s: StreamSettings): string {
  return `<trt:GetProfilesResponse>${profile(s, 'trt:Profiles')}</trt:GetProfilesResponse>`
}

export function oneProfile(s: StreamSettings): string {
  return `<trt:GetProfileResponse>${profile(s, 'trt:Profile')}</trt:GetProfileResponse>`
}

export function videoSources(s: StreamSettings): string {
  return `<trt:GetVideoSourcesResponse><trt:VideoSources token="${VIDEO_SOURCE_TOKEN}"><tt:Framerate>${s.fps}</tt:Framerate>` +
    `<tt:Resolution><tt:Width>${s.width}</tt:Width><tt:Height>${s.height}</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>`
}

function mediaUri(uri: string): string {
  return `<trt:MediaUri><tt:Uri>${x(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
    '<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>'
}

/** ONVIF Media 5.15.1 GetStreamUri: the URI carries no credentials; the client authenticates with RTSP digest. */
export function streamUri(uri: string): string {
  return `<trt:GetStreamUriResponse>${mediaUri(uri)}</trt:GetStreamUriResponse>`
}

export function snapshotUri(uri: string): string {
  return `<trt:GetSnapshotUriResponse>${mediaUri(uri)}</trt:GetSnapshotUriResponse>`
}

/** ONVIF Media 5.6.3 GetVideoEncoderConfiguration(s). */
export function videoEncoderConfiguration(s: StreamSettings): string {
  return `<trt:GetVideoEncoderConfigurationResponse>${encoderConfiguration(s, 'trt:Configuration')}</trt:GetVideoEncoderConfigurationResponse>`
}

export function videoEncoderConfigurations(s: StreamSettings): string {
  return `<trt:GetVideoEncoderConfigurationsResponse>${encoderConfiguration(s, 'trt:Configurations')}</trt:GetVideoEncoderConfigurationsResponse>`
}

/** ONVIF Media 5.6.5: only the running mode is offered, since the simulator cannot re-encode on request. */
export function videoEncoderConfigurationOptions(s: StreamSettings): string {
  const h264 = `<tt:ResolutionsAvailable><tt:Width>${s.width}</tt:Width><tt:Height>${s.height}</tt:Height></tt:ResolutionsAvailable>` +
    `<tt:GovLengthRange><tt:Min>${s.gop}</tt:Min><tt:Max>${s.gop}</tt:Max></tt:GovLengthRange>` +
    `<tt:FrameRateRange><tt:Min>${s.fps}</tt:Min><tt:Max>${s.fps}</tt:Max></tt:FrameRateRange>` +
    '<tt:EncodingIntervalRange><tt:Min>1</tt:Min><tt:Max>1</tt:Max></tt:EncodingIntervalRange><tt:H264ProfilesSupported>Baseline</tt:H264ProfilesSupported>'
  return '<trt:GetVideoEncoderConfigurationOptionsResponse><trt:Options><tt:QualityRange><tt:Min>4</tt:Min><tt:Max>4</tt:Max></tt:QualityRange>' +
    `<tt:H264>${h264}</tt:H264><tt:Extension><tt:H264>${h264}` +
    `<tt:BitrateRange><tt:Min>${s.bitrateKbps}</tt:Min><tt:Max>${s.bitrateKbps}</tt:Max></tt:BitrateRange></tt:H264></tt:Extension>` +
    '</trt:Options></trt:GetVideoEncoderConfigurationOptionsResponse>'
}
