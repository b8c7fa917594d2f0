-- One row per customer snapshot with the support signals: load, bursts within 10 days, and the categories that
-- hint at leaving (data export, compatibility with another system).
{{ config(**snapshot_increment_config()) }}
{% set categories = ['how_to', 'bug', 'billing', 'data_export', 'compatibility'] %}
{% set competitor = "case when ticket_category in ('data_export', 'compatibility') then 1 else 0 end" %}
{% set measures = {'tickets_n': '1', 'tickets_competitor_n': competitor} %}
{% for category in categories %}
    {% set flag = "case when ticket_category = '" ~ category ~ "' then 1 else 0 end" %}
    {% do measures.update({'tickets_' ~ category ~ '_n': flag}) %}
{% endfor %}

with snapshots as (
    {{ snapshots_to_build() }}
),

running as (
    {{ running_totals(ref('int_tickets_validated'), 'opened_at', measures) }}
),

totals as (
    {{ totals_as_of('snapshots', 'running', measures, [0, 10, 30, 90, 180, 365]) }}
)

select
    s.customer_id,
    s.snapshot_date,
    {{ window_sum('tickets_n', 10) }} as tickets_10d,
    {{ window_sum('tickets_n', 30) }} as tickets_30d,
    {{ window_sum('tickets_n', 90) }} as tickets_90d,
    {{ window_sum('tickets_n', 365) }} as tickets_365d,
    case
        when {{ fully_observed(180) }}
            then {{ window_sum('tickets_n', 90) }} / nullif({{ window_sum('tickets_n', 180, 90) }}, 0)
    end as tickets_trend,
    {{ window_sum('tickets_competitor_n', 180) }} as tickets_competitor_180d,
{%- for category in categories %}
    {{ window_sum('tickets_' ~ category ~ '_n', 180) }} as tickets_{{ category }}_180d{{ "," if not loop.last }}
{%- endfor %}
from totals as s
cross join {{ ref('int_data_window') }} as w
where exists (select 1 from {{ ref('int_tickets_validated') }})
