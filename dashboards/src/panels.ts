import {
  BigValueColorMode,
  BigValueGraphMode,
  BigValueTextMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  VizLegendOptionsBuilder,
  VizOrientation,
} from '@grafana/grafana-foundation-sdk/common';
import type { ThresholdsConfigBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { TextMode, PanelBuilder as TextPanel } from '@grafana/grafana-foundation-sdk/text';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { datasource, sql } from './common.js';

// Panel shapes used across the dashboards, so sizes, legends and reductions stay consistent.

interface Common {
  title: string;
  description: string;
  sql: string;
  width?: number;
  height?: number;
}

/**
 * One big number per row of a table-shaped result (e.g. one per region), named by its text
 * column: `field` is the numeric column shown.
 */
export function stat(
  p: Common & { field: string; unit: string; thresholds: ThresholdsConfigBuilder; decimals?: number },
): StatPanel {
  const panel = new StatPanel()
    .title(p.title)
    .description(p.description)
    .datasource(datasource)
    .withTarget(sql(p.sql))
    .span(p.width ?? 6)
    .height(p.height ?? 5)
    .unit(p.unit)
    .thresholds(p.thresholds)
    .graphMode(BigValueGraphMode.None)
    .colorMode(BigValueColorMode.Value)
    .textMode(BigValueTextMode.ValueAndName)
    .orientation(VizOrientation.Horizontal)
    .reduceOptions(
      new ReduceDataOptionsBuilder().values(true).calcs(['lastNotNull']).fields(`/^${p.field}$/`),
    );
  return p.decimals === undefined ? panel : panel.decimals(p.decimals);
}

/** A long-format time series (time, series name, value): the plugin pivots it per series. */
export function timeseries(
  p: Common & { unit: string; thresholds?: ThresholdsConfigBuilder; minInterval?: string },
): TimeSeriesPanel {
  const panel = new TimeSeriesPanel()
    .title(p.title)
    .description(p.description)
    .datasource(datasource)
    .withTarget(sql(p.sql, 'timeseries'))
    .span(p.width ?? 12)
    .height(p.height ?? 8)
    .unit(p.unit)
    // The queries bucket by $__timeInterval; an hour is the rollup's grain, finer is noise.
    .interval(p.minInterval ?? '1h')
    .fillOpacity(10)
    .lineWidth(2)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.Table)
        .placement(LegendPlacement.Right)
        .calcs(['lastNotNull', 'max']),
    );
  return p.thresholds ? panel.thresholds(p.thresholds) : panel;
}

export function table(p: Common & { unit?: string }): TablePanel {
  const panel = new TablePanel()
    .title(p.title)
    .description(p.description)
    .datasource(datasource)
    .withTarget(sql(p.sql))
    .span(p.width ?? 12)
    .height(p.height ?? 8);
  return p.unit ? panel.unit(p.unit) : panel;
}

export function note(title: string, markdown: string, width = 12, height = 5): TextPanel {
  return new TextPanel().title(title).mode(TextMode.Markdown).content(markdown).span(width).height(height);
}
