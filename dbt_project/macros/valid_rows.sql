{#- The rows of a staging model that can be used: required fields present, dates ISO, parsed, not in the future (nor
    after the as-of date, see known_by) and
    not before the contract's earliest date, end dates not before their start, amounts not negative, numbers
    finite, categorical values allowed, scores whole and on their scale, a known customer, and the first record
    of any duplicate key. The quality gate (pipelines/lib/quality/quality.py) counts what this drops, rule by
    rule; everything about `table` comes from the generated source_contract(), so the two cannot drift apart. -#}
{% macro valid_rows(model, table) -%}
    {%- set contract = source_contract() -%}
    {%- set rules = contract.tables[table] -%}
    {%- set min_date = "cast('" ~ contract.min_date ~ "' as date)" -%}
    {%- set conditions = [] -%}
    {%- for column in rules.required_dates -%}
        {%- do conditions.append('s.' ~ column ~ ' <= ' ~ known_by()) -%}
    {%- endfor -%}
    {%- for column in rules.required -%}
        {%- do conditions.append("nullif(trim(cast(s." ~ column ~ " as " ~ portable_type('varchar') ~ ")), '') is not null") -%}
    {%- endfor -%}
    {%- for column in rules.amounts -%}
        {%- do conditions.append('coalesce(s.' ~ column ~ ', 0) >= 0') -%}
    {%- endfor -%}
    {%- for column in rules.required_dates + rules.optional_dates -%}
        {%- do conditions.append('coalesce(s.' ~ column ~ ' >= ' ~ min_date ~ ', true)') -%}
    {%- endfor -%}
    {%- for start, end in rules.ordered -%}
        {%- do conditions.append('coalesce(s.' ~ end ~ ' >= s.' ~ start ~ ', true)') -%}
    {%- endfor -%}
    {%- for column in rules.numbers -%}
        {%- do conditions.append('coalesce(abs(s.' ~ column ~ ') < ' ~ contract.max_magnitude ~ ', true)') -%}
    {%- endfor -%}
    {%- for column, allowed in rules.categories.items() -%}
        {%- do conditions.append(
            "coalesce(nullif(s." ~ column ~ ", '') in ('" ~ allowed | join("', '") ~ "'), true)"
        ) -%}
    {%- endfor -%}
    {%- for column, low, high in rules.scores -%}
        {%- set value = 's.' ~ column -%}
        {%- do conditions.append(
            'coalesce(' ~ value ~ ' = floor(' ~ value ~ ') and ' ~ value ~ ' between ' ~ low ~ ' and ' ~ high
            ~ ', true)'
        ) -%}
    {%- endfor -%}
    select {{ select_first_per(rules['keys'], 's.' ~ rules.required_dates[0]) if rules['keys'] }} s.*
    from {{ ref(model) }} as s
    where
        s.customer_id in (select a.customer_id from {{ ref('int_accounts_deduplicated') }} as a)
        and {{ conditions | join('\n        and ') }}
    {% if rules['keys'] -%}
        {{ keep_first_per(rules['keys'], 's.' ~ rules.required_dates[0]) }}
    {%- endif %}
{%- endmacro %}
