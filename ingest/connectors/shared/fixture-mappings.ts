import { buildMappings, type MappingFile, type SourceMapping } from '../../../core/mapping.js';

/** The mapping the connector fixtures are written against: the teams they name and their regions. */
export const fixtureMappingFile: MappingFile = {
  servicenow: {
    teams: {
      'Service Desk EMEA': { region: 'EMEA', tier: 'L1' },
      'Network Operations APAC': { region: 'APAC', tier: 'L2' },
    },
  },
  jira: {
    teams: {
      'Service Desk APAC': { region: 'APAC', tier: 'L1' },
      'Network Operations EMEA': { region: 'EMEA', tier: 'L2' },
    },
  },
  zendesk: {
    teams: {
      '360001111': { region: 'EMEA', tier: 'L1' },
      '360002222': { region: 'AMER', tier: 'L2' },
    },
  },
};

export function fixtureMappings(): Map<string, SourceMapping> {
  return buildMappings(fixtureMappingFile);
}
