-- One row per customer ever known: who they are (no personal data), whether they are still a customer, their
-- latest features, the newest score with its source (model or health-score fallback), a value tier and the
-- history of warnings. A view, so it always shows the newest scores, whichever scoring step wrote them; the score
-- tables are written by the Python scoring assets after dbt and created empty by the create_score_tables hook.
-- The value tier ranks trailing 12-month revenue at the newest snapshot (VIP top 10 %, Premium next 20 %,
-- Standard next 60 %, Basic the rest), the domain guide's tiers. Both levels of an account hierarchy: a child's
-- parent_id with the parent's roll-up of the newest scoring (scores.parent_scores, pipelines/lib/score/hierarchy.py),
-- and on a parent's own row the same roll-up of its children.
with latest_features as (
    select {{ select_first_per(['customer_id'], 'snapshot_date desc') }} *
    from {{ ref('customer_features') }}
    {{ keep_first_per(['customer_id'], 'snapshot_date desc') }}
),

all_scores as (
    select * from scores.customer_scores
),

latest_score as (
    select {{ select_first_per(['customer_id'], 'as_of desc, scored_at desc') }} *
    from all_scores
    {{ keep_first_per(['customer_id'], 'as_of desc, scored_at desc') }}
),

latest_parent_score as (
    select {{ select_first_per(['parent_id'], 'as_of desc, scored_at desc') }} *
    from scores.parent_scores
    {{ keep_first_per(['parent_id'], 'as_of desc, scored_at desc') }}
),

warnings as (
    select
        customer_id,
        count(distinct as_of) filter (where risk_tier <> 'none') as warnings_total,
        count(distinct as_of) filter (where risk_tier = 'high') as high_risk_warnings,
        min(as_of) filter (where risk_tier <> 'none') as first_warning_on,
        max(as_of) filter (where risk_tier <> 'none') as last_warning_on,
        count(distinct as_of) as times_scored
    from all_scores
    group by customer_id
),

value_ranked as (
    select
        customer_id,
        percent_rank() over (order by coalesce(revenue_365d, 0) desc) as revenue_rank
    from latest_features
    where snapshot_date = (select w.as_of_date from {{ ref('int_data_window') }} as w)
)

select
    l.customer_id,
    a.industry,
    a.country,
    a.segment,
    l.created_at,
    l.churned_at,
    l.churn_type,
    l.churned_at is null as is_active,
    f.snapshot_date as features_as_of,
    f.tenure_days,
    f.revenue_365d,
    f.contract_value,
    f.days_to_renewal,
    f.orders_90d,
    f.days_since_last_order,
    f.payment_delay_vs_norm,
    f.interactions_yoy_ratio,
    f.tickets_90d,
    f.tickets_competitor_180d,
    f.login_trend,
    f.nps_latest,
    case
        when v.revenue_rank is null then null
        when v.revenue_rank < 0.10 then 'vip'
        when v.revenue_rank < 0.30 then 'premium'
        when v.revenue_rank < 0.90 then 'standard'
        else 'basic'
    end as value_tier,
    s.as_of as scored_as_of,
    s.score_source,
    s.churn_probability,
    s.risk_tier,
    s.health_colour,
    s.reasons,
    s.action,
    s.owner,
    s.sla_hours,
    s.model_version,
    coalesce(w.warnings_total, 0) as warnings_total,
    coalesce(w.high_risk_warnings, 0) as high_risk_warnings,
    w.first_warning_on,
    w.last_warning_on,
    coalesce(w.times_scored, 0) as times_scored,
    h.parent_id,
    ps.mean_churn_probability as parent_mean_churn_probability,
    ps.revenue_weighted_churn_probability as parent_revenue_weighted_churn_probability,
    ps.driver_id as parent_risk_driver_id,
    own.children as child_accounts,
    own.mean_churn_probability as children_mean_churn_probability,
    own.revenue_weighted_churn_probability as children_revenue_weighted_churn_probability,
    own.driver_id as children_risk_driver_id
from {{ ref('int_customer_lifecycles') }} as l
inner join {{ ref('int_accounts_deduplicated') }} as a on l.customer_id = a.customer_id
left join latest_features as f on l.customer_id = f.customer_id
left join value_ranked as v on l.customer_id = v.customer_id
left join latest_score as s on l.customer_id = s.customer_id
left join warnings as w on l.customer_id = w.customer_id
left join {{ ref('account_hierarchy') }} as h on l.customer_id = h.customer_id
left join latest_parent_score as ps on h.parent_id = ps.parent_id
left join latest_parent_score as own on l.customer_id = own.parent_id
