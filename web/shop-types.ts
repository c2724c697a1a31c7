/** The API's answers as the pages read them (openapi.yaml). */

export interface RecItem {
  itemId: string;
  score: number;
  reason: string;
  title: string | null;
  price: number | null;
}

export interface RecList {
  recommendationId: string;
  modelVersion: string | null;
  variant: string;
  items: RecItem[];
}

export interface Item {
  itemId: string;
  title: string;
  description?: string;
  categories?: string[];
  price?: number;
  currency?: string;
  inStock: boolean;
}

export interface ModelSummary {
  modelVersion: string;
  approvalStatus: 'Approved' | 'PendingManualApproval' | 'Rejected';
  approvalDescription: string | null;
  creationTime: string;
  engine: string;
  model: string | null;
  metrics: Record<string, number>;
  gate: { passed: boolean; reasons: string[] };
  role: string | null;
  servable: boolean;
}

export interface Deployment {
  revision: number;
  champion: string;
  previousChampion?: string;
  experiment?: {
    name: string;
    startedAt: string;
    variants: { name: string; modelVersion: string; weight: number }[];
  };
  updatedAt: string;
  reason: string;
}

export interface ModelsView {
  deployment: Deployment | null;
  models: ModelSummary[];
}
