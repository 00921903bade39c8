// BatchAspire on Azure Container Apps: the Api (external ingress), N Workers (no ingress), and
// Azure Cache for Redis as the shared store. Provider keys and the Api key are Container Apps secrets.
targetScope = 'resourceGroup'

@minLength(1)
param environmentName string
param location string = resourceGroup().location
@secure()
@description('Bearer key of the default tenant (BatchAspire:Auth:Tenants:default:ApiKey). Required: the Api refuses anonymous access off loopback.')
param apiKey string
@secure()
param openAiApiKey string = ''
@secure()
param anthropicApiKey string = ''
@secure()
param geminiApiKey string = ''
@minValue(1)
param workerReplicas int = 2

var token = uniqueString(subscription().id, resourceGroup().id, environmentName)
var tags = { 'azd-env-name': environmentName }

resource logs 'Microsoft.OperationalInsights/workspaces@2022-10-01' = {
  name: 'log-${token}'
  location: location
  tags: tags
  properties: { sku: { name: 'PerGB2018' }, retentionInDays: 30 }
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: 'cr${token}'
  location: location
  tags: tags
  sku: { name: 'Basic' }
  properties: { adminUserEnabled: true }
}

resource redis 'Microsoft.Cache/redis@2023-08-01' = {
  name: 'redis-${token}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'Standard', family: 'C', capacity: 1 }
    enableNonSslPort: false
    minimumTlsVersion: '1.2'
    redisVersion: '6'
  }
}

resource env 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: 'cae-${token}'
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: { customerId: logs.properties.customerId, sharedKey: logs.listKeys().primarySharedKey }
    }
  }
}

var redisConnection = '${redis.properties.hostName}:6380,password=${redis.listKeys().primaryKey},ssl=True,abortConnect=False'
var secrets = [
  { name: 'redis', value: redisConnection }
  { name: 'registry-password', value: registry.listCredentials().passwords[0].value }
  { name: 'api-key', value: apiKey }
  { name: 'openai-api-key', value: empty(openAiApiKey) ? 'unset' : openAiApiKey }
  { name: 'anthropic-api-key', value: empty(anthropicApiKey) ? 'unset' : anthropicApiKey }
  { name: 'gemini-api-key', value: empty(geminiApiKey) ? 'unset' : geminiApiKey }
]
var sharedEnv = [
  { name: 'ConnectionStrings__redis', secretRef: 'redis' }
  { name: 'OPENAI_API_KEY', secretRef: 'openai-api-key' }
  { name: 'ANTHROPIC_API_KEY', secretRef: 'anthropic-api-key' }
  { name: 'GEMINI_API_KEY', secretRef: 'gemini-api-key' }
]
var registries = [ { server: registry.properties.loginServer, username: registry.name, passwordSecretRef: 'registry-password' } ]

resource api 'Microsoft.App/containerApps@2024-03-01' = {
  name: 'api-${token}'
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  properties: {
    managedEnvironmentId: env.id
    configuration: {
      ingress: { external: true, targetPort: 8080, transport: 'auto' }
      secrets: secrets
      registries: registries
    }
    template: {
      containers: [
        {
          name: 'api'
          image: 'mcr.microsoft.com/dotnet/samples:aspnetapp' // replaced by `azd deploy`
          resources: { cpu: json('1.0'), memory: '2Gi' }
          env: concat(sharedEnv, [
            { name: 'OTEL_SERVICE_NAME', value: 'api' }
            { name: 'BatchAspire__Auth__Tenants__default__ApiKey', secretRef: 'api-key' }
          ])
          probes: [
            { type: 'Liveness', httpGet: { path: '/alive', port: 8080 } }
            { type: 'Readiness', httpGet: { path: '/health', port: 8080 } }
          ]
        }
      ]
      scale: { minReplicas: 1, maxReplicas: 3 }
    }
  }
}

resource worker 'Microsoft.App/containerApps@2024-03-01' = {
  name: 'worker-${token}'
  location: location
  tags: union(tags, { 'azd-service-name': 'worker' })
  properties: {
    managedEnvironmentId: env.id
    configuration: { secrets: secrets, registries: registries }
    template: {
      containers: [
        {
          name: 'worker'
          image: 'mcr.microsoft.com/dotnet/samples:aspnetapp' // replaced by `azd deploy`
          resources: { cpu: json('1.0'), memory: '2Gi' }
          env: concat(sharedEnv, [
            { name: 'OTEL_SERVICE_NAME', value: 'worker' }
            { name: 'services__api__https__0', value: 'https://${api.properties.configuration.ingress.fqdn}' }
          ])
        }
      ]
      // Workers coordinate only through Redis: any replica count works; they drain leases on SIGTERM.
      scale: { minReplicas: workerReplicas, maxReplicas: workerReplicas }
    }
  }
}

output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.properties.loginServer
output BATCHASPIRE_API_URL string = 'https://${api.properties.configuration.ingress.fqdn}'
